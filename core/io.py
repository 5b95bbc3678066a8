"""Read any data file as a stream of raw records; write files atomically.

Files: .json (an array, or an object holding an array under a key), .jsonl, .csv, .parquet, each
optionally .gz or .zst, UTF-8 with or without a BOM. The content decides (a .json file that holds
JSON Lines is read as JSON Lines and says so); the extension only names the compression and the
family. Every record comes with its zero-based index and 1-based line so errors can point at it.
A JSON array is split by a small scanner (strings skipped by one regex) so a file larger than
memory streams with flat memory, as JSON Lines do.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import sys
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import orjson

from core.errors import SieveInputError
from core.formats.base import type_name

KINDS = ("json", "jsonl", "csv", "parquet")
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}
_KIND_BY_SUFFIX = {".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv", ".tsv": "csv",
                   ".parquet": "parquet"}
_GZIP_MAGIC, _ZSTD_MAGIC, _PARQUET_MAGIC = b"\x1f\x8b", b"\x28\xb5\x2f\xfd", b"PAR1"
_BOM = b"\xef\xbb\xbf"
CHUNK = 1 << 22
RAW_LIMIT = 10_000  # characters of original text kept with a rejected record


@dataclass(slots=True)
class RawRecord:
    """One input record: parsed `value` (a dict) or an `error` saying why it could not be parsed."""

    index: int
    line: int | None
    value: Any = None
    raw: bytes | str | None = None
    error: str | None = None
    field: str | None = None
    members: list | None = None  # for a record a format built from several input records (OASST rows)
    warning: str | None = None   # read, but not exactly as written (e.g. NaN read as null)

    def raw_text(self) -> str:
        """The original text (or a JSON rendering of the parsed value), truncated to RAW_LIMIT."""
        raw = self.raw
        if raw is None:
            raw = orjson.dumps(self.value, default=str, option=orjson.OPT_NON_STR_KEYS)
        if isinstance(raw, bytes):
            raw = raw[: RAW_LIMIT * 4].decode("utf-8", errors="replace")
        return raw[:RAW_LIMIT]


@dataclass
class FileInfo:
    """What the reader found: kind, compression, notes for the detection evidence, and warnings
    (also in the evidence while detection runs) for the load report."""

    path: str
    kind: str
    compression: str | None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def warn(self, text: str) -> None:
        self.notes.append(text)
        self.warnings.append(text)

    def describe(self) -> str:
        names = {"json": "JSON", "jsonl": "JSON Lines", "csv": "CSV", "parquet": "Parquet"}
        return f"file read as {names[self.kind]}" + (f" ({self.compression})" if self.compression else "")


def split_suffixes(path: str | os.PathLike) -> tuple[str | None, str | None]:
    """(kind by extension or None, compression or None) from a file name."""
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = COMPRESSIONS.get(suffixes[-1]) if suffixes else None
    if compression:
        suffixes = suffixes[:-1]
    kind = _KIND_BY_SUFFIX.get(suffixes[-1]) if suffixes else None
    return kind, compression


@contextmanager
def open_binary(path: str | os.PathLike, compression: str | None) -> Iterator[BinaryIO]:
    """Open a file for reading bytes, decompressing gzip/zstd."""
    if compression == "gzip":
        with gzip.open(path, "rb") as fh:
            yield fh
    elif compression == "zstd":
        import zstandard
        with open(path, "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as fh:
            yield io.BufferedReader(fh, CHUNK)
    else:
        with open(path, "rb") as fh:
            yield fh


def _sniff_compression(path: str, by_name: str | None) -> str | None:
    with open(path, "rb") as fh:
        magic = fh.read(4)
    actual = "gzip" if magic[:2] == _GZIP_MAGIC else "zstd" if magic == _ZSTD_MAGIC else None
    if by_name and actual != by_name:
        raise SieveInputError(f"the name says {by_name} but the content is not {by_name}-compressed",
                              file=path)
    return actual


def _read_head(path: str, compression: str | None, size: int = 1 << 16) -> bytes:
    try:
        with open_binary(path, compression) as fh:
            return fh.read(size)
    except (OSError, EOFError) as exc:
        raise SieveInputError(f"cannot read the file: truncated or corrupt {compression} data ({exc})",
                              file=path) from None


def inspect_file(path: str | os.PathLike) -> FileInfo:
    """Decide how to read a file from its name and first bytes; raise SieveInputError if we can't."""
    path = str(path)
    if not os.path.exists(path):
        raise SieveInputError("file not found", file=path)
    if os.path.isdir(path):
        raise SieveInputError("is a directory, not a data file", file=path)
    kind, named_compression = split_suffixes(path)
    if kind is None:
        suffix = "".join(Path(path).suffixes) or "(none)"
        raise SieveInputError(f"unsupported file extension {suffix}; expected .json, .jsonl, .csv, .tsv or "
                              f".parquet, optionally followed by .gz or .zst", file=path)
    if os.path.getsize(path) == 0:
        raise SieveInputError("file is empty (0 bytes): no records to load", file=path)
    compression = _sniff_compression(path, named_compression)
    info = FileInfo(path, kind, compression)
    if compression and not named_compression:
        info.warn(f"content is {compression}-compressed although the name does not say so")
    head = _read_head(path, compression)
    if head.startswith(_PARQUET_MAGIC):
        if kind != "parquet":
            info.warn(f"file named .{kind} holds Parquet")
        info.kind = "parquet"
        return info
    if kind == "parquet":
        raise SieveInputError("named .parquet but is not a Parquet file (no PAR1 magic bytes)", file=path)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SieveInputError("file is UTF-16 encoded; save it as UTF-8", file=path)
    text = head[3:] if head.startswith(_BOM) else head
    stripped = text.lstrip()
    if not stripped:
        raise SieveInputError("file holds only whitespace: no records to load", file=path)
    if kind == "csv":
        return info
    first = stripped[:1]
    if first == b"[":
        if kind == "jsonl":
            info.warn("file named .jsonl holds a JSON array")
        info.kind = "json"
    elif first == b"{":
        if kind == "json" and _looks_like_json_lines(stripped):
            info.warn("file named .json holds JSON Lines")
            info.kind = "jsonl"
    elif kind == "json":
        raise SieveInputError(f"not JSON: the file starts with {stripped[:20]!r}, expected '[' or '{{'",
                              file=path, line=1)
    return info


def _looks_like_json_lines(text: bytes) -> bool:
    lines = [ln for ln in text.split(b"\n", 3)[:3] if ln.strip()]
    if len(lines) < 2 or not lines[1].lstrip().startswith(b"{"):
        return False
    try:
        return isinstance(orjson.loads(lines[0]), dict)
    except orjson.JSONDecodeError:
        return False


def iter_records(path: str | os.PathLike, info: FileInfo | None = None) -> Iterator[RawRecord]:
    """Every record of a file, in order, each parsed or carrying its parse error."""
    info = info or inspect_file(path)
    path = str(path)
    try:
        if info.kind == "parquet":
            yield from _iter_parquet(path, info)
            return
        with open_binary(path, info.compression) as fh:
            if info.kind == "jsonl":
                yield from _iter_json_lines(fh)
            elif info.kind == "json":
                from core.json_stream import iter_json_array
                yield from iter_json_array(_chunks(fh), info.notes, path, info.warnings)
            else:
                yield from _iter_csv(fh, path, delimiter="\t" if _is_tsv(path) else ",")
    except (EOFError, OSError) as exc:  # a truncated .gz/.zst or unreadable file
        raise SieveInputError(f"cannot read the file ({type(exc).__name__}: {exc})", file=path) from None
    except ImportError:
        raise
    except Exception as exc:
        if type(exc).__module__.startswith("zstandard") or "zstd" in str(exc).lower():
            raise SieveInputError(f"cannot read the file: corrupt zstd data ({exc})", file=path) from None
        raise


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    head = fh.read(max(CHUNK, 3))
    while 0 < len(head) < 3:  # a short first read must not split the BOM
        more = fh.read(CHUNK)
        if not more:
            break
        head += more
    if head.startswith(_BOM):
        head = head[3:]
    if head:
        yield head
    while chunk := fh.read(CHUNK):
        yield chunk


def parse_json_bytes(raw: bytes) -> tuple[Any, str | None, str | None, str | None]:
    """(value, error, field, warning) for one JSON text; invalid UTF-8 is reported with its field."""
    try:
        return orjson.loads(raw), None, None, None
    except orjson.JSONDecodeError as exc:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as uexc:
            return None, f"invalid UTF-8 (byte {uexc.start} of the record)", _field_with_bad_utf8(raw), None
        lenient = _with_nan(text)  # Python's json.dumps writes NaN/Infinity, which JSON does not allow
        if lenient is not None:
            return lenient, None, None, "NaN/Infinity in the input read as null"
        return None, f"invalid JSON: {exc}", None, None


def object_error(value: Any) -> str | None:
    """Why a parsed JSON value cannot be a record (it is not an object), or None."""
    return None if isinstance(value, dict) else f"expected a JSON object, got {type_name(value)}"


def _with_nan(text: str) -> Any:
    import json
    found = []

    def constant(name: str) -> None:
        found.append(name)
        return None
    try:
        value = json.loads(text, parse_constant=constant)
    except ValueError:
        return None
    return value if found else None


def _field_with_bad_utf8(raw: bytes) -> str | None:
    """The key path holding the undecodable bytes, found by decoding with replacement characters."""
    try:
        value = orjson.loads(raw.decode("utf-8", errors="replace"))
    except orjson.JSONDecodeError:
        return None

    def walk(node: Any, where: str) -> str | None:
        if isinstance(node, str):
            return where if "\ufffd" in node else None
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, child in items:
            found = walk(child, f"{where}.{key}" if isinstance(key, str) else f"{where}[{key}]")
            if found:
                return found
        return None

    found = walk(value, "")
    return found.lstrip(".") if found else None


def _iter_json_lines(fh: BinaryIO) -> Iterator[RawRecord]:
    index, line_no, pending = 0, 0, b""
    for chunk in _chunks(fh):
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        for raw in lines:
            line_no += 1
            if raw.strip():
                yield _json_line(index, line_no, raw)
                index += 1
    if pending.strip():
        yield _json_line(index, line_no + 1, pending)


def _json_line(index: int, line_no: int, raw: bytes) -> RawRecord:
    value, error, field_name, warning = parse_json_bytes(raw)
    error = error or object_error(value)
    return RawRecord(index, line_no, value if error is None else None, raw, error, field_name, warning=warning)


def _is_tsv(path: str) -> bool:
    suffixes = [x.lower() for x in Path(path).suffixes]
    return ".tsv" in suffixes[-2:]


def _iter_csv(fh: BinaryIO, path: str, delimiter: str = ",") -> Iterator[RawRecord]:
    csv.field_size_limit(sys.maxsize)
    # surrogateescape keeps undecodable bytes so we can name the field instead of failing the file
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", errors="surrogateescape", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise SieveInputError("CSV file has no header row", file=path) from None
    if len(set(header)) != len(header):
        raise SieveInputError(f"CSV header repeats a column name: {header}", file=path, line=1)
    start_line, index = reader.line_num + 1, 0
    for row in reader:
        line_no, start_line = start_line, reader.line_num + 1
        if not row or row == [""]:
            continue
        record = RawRecord(index, line_no, raw=",".join(row))
        index += 1
        if len(row) != len(header):
            record.error = f"row has {len(row)} fields but the header has {len(header)}"
            yield record
            continue
        value: dict[str, Any] = {}
        for name, cell in zip(header, row):
            if _has_surrogates(cell):
                record.error, record.field = "invalid UTF-8", name
                break
            value[name] = _maybe_json(cell)
        if record.error is None:
            record.value = value
        yield record


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


def _maybe_json(cell: str) -> Any:
    """CSV cells that hold a JSON list/object (e.g. a `messages` column) are parsed; others stay text."""
    stripped = cell.lstrip()
    if stripped[:1] in ("[", "{"):
        try:
            return orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return cell
    return cell


def _iter_parquet(path: str, info: FileInfo) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq
    with _seekable(path, info.compression) as source:
        try:
            parquet = pq.ParquetFile(source)
        except Exception as exc:
            raise SieveInputError(f"not a readable Parquet file ({exc})", file=path) from None
        index = 0
        for batch in parquet.iter_batches(batch_size=10_000):
            for row in batch.to_pylist():
                yield RawRecord(index, None, row)
                index += 1


@contextmanager
def _seekable(path: str, compression: str | None) -> Iterator[Any]:
    """Parquet needs random access: decompress a .parquet.gz/.zst to a temporary file first."""
    if not compression:
        yield path
        return
    with tempfile.TemporaryFile() as tmp, open_binary(path, compression) as fh:
        while chunk := fh.read(CHUNK):
            tmp.write(chunk)
        tmp.seek(0)
        yield tmp


# ---------------------------------------------------------------- writing

@contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """A binary handle to a temp file next to `path`, compressed by extension, renamed on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _, compression = split_suffixes(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            if compression == "gzip":
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as fh:
                    yield fh
            elif compression == "zstd":
                import zstandard
                with zstandard.ZstdCompressor(level=3).stream_writer(raw, closefd=False) as fh:
                    yield fh
            else:
                yield raw
        os.replace(tmp_name, path)
    except BaseException:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
        raise
