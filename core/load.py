"""Open any supported file as canonical conversations: detect the format, stream batches, account
for every input record (loaded or rejected with its reason).

    result = load_dataset("train.jsonl", on_error="skip")
    result.detection.format, result.report.rejected, result.dataset.table

Counting: `input_records == loaded + len(rejected)` always. `loaded` counts input records; for
OpenAssistant trees one input record (a tree) can give several conversations, so
`report.conversations` (rows of the dataset) may exceed `loaded`.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Callable, Iterator, Literal

import numpy as np
import orjson
import pyarrow as pa

from core.detect import FORMATS, MODULES, Detection, detect_records, forced_detection
from core.errors import SieveConfigError, SieveInputError
from core.formats.base import Parsed, RecordError
from core.io import RawRecord, atomic_writer, inspect_file, iter_records
from core.progress import ProgressCallback
from core.schema import Dataset, empty_table, records_to_table
from core.writers import WriteReport, write_dataset  # noqa: F401  (re-exported for callers)

__all__ = ["FORMATS", "Detection", "Rejection", "LoadReport", "LoadResult", "BatchReader", "detect_file",
           "load_dataset", "iter_batches", "load_sample", "RejectsFile", "write_dataset", "WriteReport"]

OnError = Literal["raise", "skip"]
SAMPLE_RECORDS = 200
# The report keeps every rejection (counts must add up) but, past this many, only the first
# RAW_AFTER_LIMIT characters of each raw text: forcing the wrong format on a large file must not
# hold gigabytes. `on_reject` callbacks (convert's rejects file, the engine) always get it whole.
KEEP_RAW_REJECTIONS = 10_000
RAW_AFTER_LIMIT = 200
SAMPLE_DIR = Path(__file__).resolve().parent.parent / "sample_data"


@dataclass
class Rejection:
    file: str
    line: int | None
    record: int | None
    field: str | None
    reason: str
    raw: str  # the original text, truncated to ~10 kB

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "record": self.record, "field": self.field,
                "reason": self.reason, "raw": self.raw}


@dataclass
class LoadReport:
    input_records: int = 0
    loaded: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    conversations: int = 0  # dataset rows (differs from `loaded` only for OASST trees)


@dataclass
class LoadResult:
    dataset: Dataset
    detection: Detection
    report: LoadReport
    path: str


def detect_file(path: str | os.PathLike) -> Detection:
    """Format, confidence and evidence from the first records of a file."""
    info = inspect_file(path)
    sample = list(islice(iter_records(path, info), SAMPLE_RECORDS))
    detection = detect_records(sample, info.notes)
    detection.evidence.append(info.describe())
    return detection


class _IdRegistry:
    """Makes ids unique: a repeated id gets a `#n` suffix. Holds 8 bytes per id (a sorted hash array)."""

    def __init__(self) -> None:
        self.seen = np.empty(0, np.int64)
        self.repeats: dict[str, int] = {}

    def _is_seen(self, hashes: np.ndarray) -> np.ndarray:
        if not len(self.seen):
            return np.zeros(len(hashes), bool)
        pos = np.minimum(np.searchsorted(self.seen, hashes), len(self.seen) - 1)
        return self.seen[pos] == hashes

    def assign(self, records: list[dict], warn: Callable[[dict, str], None]) -> None:
        ids = [r["id"] for r in records]
        hashes = np.fromiter((hash(i) for i in ids), np.int64, len(ids))
        repeated = self._is_seen(hashes)
        _, first = np.unique(hashes, return_index=True)
        within = np.ones(len(ids), bool)
        within[first] = False
        batch_hashes = set(hashes.tolist())
        for i in np.flatnonzero(repeated | within):
            original = ids[i]
            n = self.repeats.get(original, 1)
            while True:
                n += 1
                candidate = f"{original}#{n}"
                h = hash(candidate)
                if h not in batch_hashes and not self._is_seen(np.array([h], np.int64))[0]:
                    break
            self.repeats[original] = n
            batch_hashes.add(h)
            hashes[i] = h
            records[i]["id"] = candidate
            warn(records[i], f"id '{original}' is repeated: renamed '{candidate}'")
        self.seen = np.sort(np.concatenate([self.seen, np.unique(hashes)]), kind="stable")


class BatchReader:
    """Iterates canonical Arrow tables; `detection` is known at once, `report` is final at the end."""

    def __init__(self, path: str | os.PathLike, *, format: str | None = None, on_error: OnError = "raise",
                 batch_size: int = 10_000, on_reject: Callable[[Rejection], None] | None = None,
                 options: dict | None = None, on_progress: ProgressCallback | None = None,
                 id_registry: _IdRegistry | None = None):
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', got {on_error!r}")
        self.path = str(path)
        self.options = dict(options or {})
        self.source_name = self.options.pop("source_name", None) or self.path
        self.on_error, self.batch_size, self.on_reject, self.on_progress = on_error, batch_size, on_reject, on_progress
        if self.options.get("oasst_paths", "all") not in ("all", "best"):
            raise SieveConfigError(f"oasst_paths must be 'all' or 'best', got {self.options['oasst_paths']!r}")
        try:
            self.info = inspect_file(path)
        except SieveInputError as exc:
            raise self._renamed(exc) from None
        self._records = self._named(iter_records(path, self.info))
        self._sample = list(islice(self._records, SAMPLE_RECORDS))
        if not self._sample:
            raise SieveInputError("no records found (an empty array or only blank lines)", file=self.source_name)
        if format is None:
            self.detection = detect_records(self._sample, self.info.notes)
            if self.detection.format == "unknown":
                raise SieveInputError(f"cannot tell the format ({'; '.join(self.detection.evidence)}); "
                                      f"choose one with --format: {', '.join(FORMATS)}", file=self.source_name)
        else:
            if format not in MODULES:
                raise SieveInputError(f"unknown format '{format}'; choose one of {', '.join(FORMATS)}",
                                      file=self.source_name)
            self.detection = forced_detection(format, self._sample, self.info.notes)
        self.detection.evidence.append(self.info.describe())
        self.estimated_records = _estimate_records(self.path, self.info, self._sample)
        self.module = MODULES[self.detection.format]
        self.report = LoadReport()
        self._ids = id_registry or _IdRegistry()  # shared when several files form one dataset
        self._warnings: Counter[str] = Counter()
        self._batches = self._run()

    def __iter__(self) -> Iterator[pa.Table]:
        return self

    def __next__(self) -> pa.Table:
        return next(self._batches)

    # ------------------------------------------------------------ internals

    def _renamed(self, exc: SieveInputError) -> SieveInputError:
        """The same error naming the file as the user knows it (an upload's name, not its temp path)."""
        return SieveInputError(exc.reason, file=self.source_name, line=exc.line, record=exc.record, field=exc.field)

    def _named(self, records: Iterator[RawRecord]) -> Iterator[RawRecord]:
        try:
            yield from records
        except SieveInputError as exc:
            raise self._renamed(exc) from None

    def _reject(self, raw: RawRecord, field_name: str | None, reason: str) -> None:
        for member in raw.members or [raw]:  # a grouped record rejects each input record it came from
            if self.on_error == "raise":
                raise SieveInputError(reason, file=self.source_name, line=member.line, record=member.index,
                                      field=field_name)
            rejection = Rejection(self.source_name, member.line, member.index, field_name, reason, member.raw_text())
            if self.on_reject:
                self.on_reject(rejection)  # streaming consumers get the full raw text
            if len(self.report.rejected) >= KEEP_RAW_REJECTIONS:  # bound memory when a whole file is rejected
                rejection = Rejection(rejection.file, rejection.line, rejection.record, rejection.field,
                                      rejection.reason, rejection.raw[:RAW_AFTER_LIMIT])
            self.report.rejected.append(rejection)

    def _hint(self, value: dict) -> str:
        """For a record the chosen format cannot read: which format it looks like instead."""
        from core.detect import best_format_for
        other = best_format_for(value)
        if other and other != self.detection.format:
            return f" (this record looks like {other}, the file was read as {self.detection.format}: mixed schemas?)"
        return ""

    def _convert(self, raw: RawRecord) -> list[Parsed] | None:
        if raw.error:
            self._reject(raw, raw.field, raw.error)
            return None
        try:
            parsed = self.module.to_conversations(raw.value, self.options)
            for p in parsed:
                if not p.messages:
                    raise RecordError(self.module.MESSAGES_FIELD, "empty conversation (no messages)")
                if p.rejected is None and not any(m["role"] == "assistant" for m in p.messages):
                    raise RecordError(self.module.MESSAGES_FIELD, "conversation has no assistant turn")
        except RecordError as exc:
            hint = self._hint(raw.value) if exc.reason.startswith("missing required field") else ""
            self._reject(raw, exc.field, exc.reason + hint)
            return None
        if raw.warning:
            for p in parsed:
                p.warnings.append(raw.warning)
        return parsed

    def _record(self, raw: RawRecord, p: Parsed, k: int, many: bool) -> dict:
        if self.detection.format == "canonical":
            meta = dict(p.meta)
            if p.extra:
                meta["extra"] = {**(meta.get("extra") or {}), **p.extra}
        else:
            meta = {"source_format": self.detection.format, "source_file": os.path.basename(self.source_name),
                    "source_record": raw.index, "source_line": raw.line, "extra": p.extra,
                    "warnings": list(p.warnings)}
            if p.id_field:
                meta["id_field"] = p.id_field
            if p.message_extra:
                meta["message_extra"] = p.message_extra
            meta.update(p.meta)
        for w in p.warnings:
            self._warnings[w] += 1
        record_id = p.own_id if p.own_id is not None else (f"{raw.index}.{k}" if many else str(raw.index))
        return {"id": record_id, "messages": p.messages, "rejected": p.rejected, "meta": meta}

    def _warn_id(self, record: dict, text: str) -> None:
        record["meta"].setdefault("warnings", []).append(text)
        self._warnings["repeated ids renamed with a #n suffix"] += 1

    def _flush(self, records: list[dict]) -> pa.Table:
        self._ids.assign(records, self._warn_id)
        self.report.conversations += len(records)
        if self.on_progress:
            done = self.report.input_records
            total = max(self.estimated_records, done) if self.estimated_records else None
            self.on_progress(done, total, f"read {done:,} records")
        return records_to_table(records)

    def _run(self) -> Iterator[pa.Table]:
        records: list[dict] = []
        stream: Iterator[RawRecord] = chain(self._sample, self._records)
        group = getattr(self.module, "group_records", None)
        if group:  # formats whose conversations span several input records (flat OASST messages)
            stream = group(stream)
        for raw in stream:
            count = len(raw.members) if raw.members else 1
            self.report.input_records += count
            parsed = self._convert(raw)
            if parsed is None:
                continue
            self.report.loaded += count
            many = len(parsed) > 1
            records.extend(self._record(raw, p, k, many) for k, p in enumerate(parsed))
            if len(records) >= self.batch_size:
                yield self._flush(records)
                records = []
        self._sample = []
        if records:
            yield self._flush(records)
        self._finish()

    def _finish(self) -> None:
        report = self.report
        report.warnings = list(self.info.warnings) + [f"{text} ({n} records)" for text, n in self._warnings.most_common()]
        if report.input_records == 0:
            raise SieveInputError("no records found", file=self.source_name)
        assert report.input_records == report.loaded + len(report.rejected)


def _estimate_records(path: str, info, sample: list[RawRecord]) -> int | None:
    """Records in the file, for progress bars: exact for Parquet, else file size / mean sampled record size."""
    if info.kind == "parquet" and not info.compression:
        import pyarrow.parquet as pq
        return pq.ParquetFile(path).metadata.num_rows
    sizes = [len(r.raw) + 1 for r in sample if r.raw is not None]
    if len(sample) < SAMPLE_RECORDS:
        return len(sample)  # the sample is the whole file
    if info.compression or not sizes:
        return None
    return max(len(sample), round(os.path.getsize(path) / (sum(sizes) / len(sizes))))


def iter_batches(path: str | os.PathLike, *, format: str | None = None, on_error: OnError = "raise",
                 batch_size: int = 10_000, on_reject: Callable[[Rejection], None] | None = None,
                 options: dict | None = None) -> BatchReader:
    """Stream a file as canonical Arrow tables (CANONICAL_SCHEMA); memory stays flat in file size."""
    return BatchReader(path, format=format, on_error=on_error, batch_size=batch_size, on_reject=on_reject,
                       options=options)


def load_dataset(path: str | os.PathLike, *, format: str | None = None, on_error: OnError = "raise",
                 options: dict | None = None, on_progress: ProgressCallback | None = None) -> LoadResult:
    """Read a whole file into a Dataset, with the detection and the load report."""
    return _read_all(BatchReader(path, format=format, on_error=on_error, options=options, on_progress=on_progress))


def _read_all(reader: BatchReader) -> LoadResult:
    tables = list(reader)
    table = pa.concat_tables(tables) if tables else empty_table()
    return LoadResult(Dataset(table, Path(reader.source_name).name), reader.detection, reader.report, reader.path)


def sample_files(directory: Path = SAMPLE_DIR) -> list[Path]:
    return sorted(p for p in directory.iterdir()
                  if p.is_file() and p.suffix != ".py" and p.name != "README.md" and not p.name.startswith((".", "_")))


def load_sample(directory: str | os.PathLike | None = None) -> LoadResult:
    """Every data file in sample_data/ combined into one dataset ("mixed" format when they differ)."""
    directory = Path(directory) if directory else SAMPLE_DIR
    files = sample_files(directory)
    if not files:
        raise SieveInputError("no data files in the sample folder", file=str(directory))
    registry = _IdRegistry()  # ids unique across the files, the same way as within one
    results = [_read_all(BatchReader(path, id_registry=registry)) for path in files]
    formats = {r.detection.format for r in results}
    detection = Detection(formats.pop() if len(formats) == 1 else "mixed",
                          min(r.detection.confidence for r in results),
                          [f"{Path(r.path).name}: {r.detection.format} ({r.detection.confidence:.2f})" for r in results])
    report = LoadReport(sum(r.report.input_records for r in results), sum(r.report.loaded for r in results),
                        [x for r in results for x in r.report.rejected],
                        [f"{Path(r.path).name}: {w}" for r in results for w in r.report.warnings],
                        sum(r.report.conversations for r in results))
    table = pa.concat_tables([r.dataset.table for r in results])
    return LoadResult(Dataset(table, "sample"), detection, report, str(directory))


class RejectsFile:
    """A rejects JSONL written as rejections stream in (an `on_reject` callback); atomic, and only
    created when there is something to write.

        with RejectsFile("out.rejected.jsonl") as rejects:
            for table in iter_batches(path, on_error="skip", on_reject=rejects.write): ...
    """

    def __init__(self, path: str | os.PathLike):
        self.path, self.count = str(path), 0
        self._writer = self._fh = None

    def write(self, rejection: Rejection) -> None:
        if self._fh is None:
            self._writer = atomic_writer(self.path)
            self._fh = self._writer.__enter__()
        self._fh.write(orjson.dumps(rejection.to_dict()) + b"\n")
        self.count += 1

    def __enter__(self) -> "RejectsFile":
        return self

    def __exit__(self, *exc_info) -> None:
        if self._writer is not None:
            self._writer.__exit__(*exc_info)  # renames on success, removes the temp file on failure
