"""Ray Data input and output for the Ray engine: the local loader per input file, sharded writers.

Rows travel through the Ray pipeline in an *envelope*: the canonical columns, `_order` (the row's
input position, which the dedup keep policy uses as "first") and the `_drop_*` ledger columns. A
dropped row stays in the stream with its ledger columns set, so one pass of the final dataset
writes the kept rows, the ledger and the rejected rows together and nothing is gathered anywhere.

Output layout: `--output clean.jsonl` is a *directory* `clean.jsonl/` of shards `part-00000.jsonl`,
… (the Spark/Ray convention; every JSON/Parquet reader takes the directory or a glob). The shard
suffix is the output name's (`.jsonl`, `.jsonl.gz`, `.json`, `.parquet`), or the format's default
for a name without one. The ledger goes to `--ledger` (default `OUTPUT.ledger/`, Parquet shards);
`--rejected` to a directory of JSONL shards.
"""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from core import ledger as ledger_mod
from core.errors import SieveInputError
from core.schema import CANONICAL_COLUMNS, CANONICAL_SCHEMA, MESSAGE_TYPE

ORDER = "_order"
RAW = "_raw"
# ledger column (minus id) -> envelope column; a row is alive while `_drop_step` is null
DROP = {f.name: f"_drop_{f.name}" for f in ledger_mod.LEDGER_SCHEMA if f.name != "id"}
ALIVE_MARK = DROP["step"]
ENVELOPE_SCHEMA = pa.schema(list(CANONICAL_SCHEMA) + [pa.field(ORDER, pa.int64())]
                            + [pa.field(DROP[f.name], f.type) for f in ledger_mod.LEDGER_SCHEMA if f.name != "id"]
                            + [pa.field(RAW, pa.string())])
ENVELOPE_EXTRA = [ORDER, *DROP.values(), RAW]
FILE_SHIFT = 40  # `_order` = file index << 40 | row position in the file: input order across shards
SUCCESS = "_SUCCESS"   # written when every shard is complete
MARKER = "_SIEVE"      # written first: a directory Sieve may replace


# ---------------------------------------------------------------- envelope

def alive_mask(table: pa.Table) -> pa.Array:
    return pc.is_null(table.column(ALIVE_MARK)).combine_chunks()


def envelope(canonical: pa.Table, orders: np.ndarray, ledger: pa.Table | None = None,
             raws: list[str | None] | None = None) -> pa.Table:
    """Canonical rows (plus any metric columns) with their input order and, if dropped, their ledger."""
    n = canonical.num_rows
    table = canonical.append_column(ORDER, pa.array(np.asarray(orders, np.int64)))
    for field in ledger_mod.LEDGER_SCHEMA:
        if field.name != "id":
            values = ledger.column(field.name) if ledger is not None else pa.nulls(n, field.type)
            table = table.append_column(DROP[field.name], values)
    return table.append_column(RAW, pa.array(raws, pa.string()) if raws is not None else pa.nulls(n, pa.string()))


def unreadable_rows(ledger: pa.Table, raws: list[str | None], orders: np.ndarray) -> pa.Table:
    """Loader rejections as dropped envelope rows (no messages; the raw text goes to the rejected file)."""
    n = ledger.num_rows
    canonical = pa.table({"id": ledger.column("id"),
                          "messages": pa.array([[]] * n, pa.list_(MESSAGE_TYPE)),
                          "rejected": pa.nulls(n, MESSAGE_TYPE), "meta": pa.nulls(n, pa.string())},
                         schema=CANONICAL_SCHEMA)
    return envelope(canonical, orders, ledger, raws)


def ledger_of(dropped: pa.Table) -> pa.Table:
    """The LEDGER_SCHEMA rows of dropped envelope rows."""
    columns = {"id": dropped.column("id")}
    columns.update({name: dropped.column(column) for name, column in DROP.items()})
    return pa.table(columns).cast(ledger_mod.LEDGER_SCHEMA)


# ---------------------------------------------------------------- reading

def input_files(path: str | os.PathLike) -> list[str]:
    """A file, or the data files of a directory (a sharded input), in name order."""
    path = Path(path)
    if path.is_dir():
        from core.io import split_suffixes
        files = sorted(str(p) for p in path.iterdir()
                       if p.is_file() and not p.name.startswith((".", "_")) and split_suffixes(p)[0])
        if not files:
            raise SieveInputError("no data files (.jsonl, .json, .csv, .parquet) in this directory", file=str(path))
        return files
    if not path.exists():
        raise SieveInputError("input file not found", file=str(path))
    return [str(path)]


def check_input(files: list[str], input_format: str | None) -> str:
    """Open the first file on the driver (its first records only): the local loader's errors, the format."""
    from core.load import iter_batches
    reader = iter_batches(files[0], format=input_format, on_error="skip", batch_size=1)
    return reader.detection.format


def read_input(files: list[str], input_format: str, batch_size: int):
    """Ray Dataset of envelope rows: one read task per input file, each running the local loader."""
    import ray.data
    items = [{"path": p, "file_index": i} for i, p in enumerate(files)]
    return ray.data.from_items(items, override_num_blocks=len(items)).map_batches(
        read_files, batch_size=1, batch_format="pyarrow",
        fn_kwargs={"input_format": input_format, "batch_size": batch_size})


def read_files(tasks: pa.Table, input_format: str, batch_size: int) -> Iterator[pa.Table]:
    """Stream each file through core.load (same formats, ids, rejections as the local engine)."""
    from core.engine.local import _rejection_ledger
    from core.load import iter_batches

    for path, file_index in zip(tasks.column("path").to_pylist(), tasks.column("file_index").to_pylist()):
        rejections: list = []
        reader = iter_batches(path, format=input_format, batch_size=batch_size, on_reject=rejections.append,
                              on_error="skip")
        position = file_index << FILE_SHIFT

        def orders(n: int) -> np.ndarray:
            nonlocal position
            out = np.arange(position, position + n, dtype=np.int64)
            position += n
            return out

        def pending_rejections() -> list[pa.Table]:
            if not rejections:
                return []
            ledger = ledger_mod.concat([_rejection_ledger(r) for r in rejections])
            raws = [getattr(r, "raw", None) for r in rejections]
            rejections.clear()
            return [unreadable_rows(ledger, raws, orders(ledger.num_rows))]

        for table in reader:
            parts = pending_rejections()
            parts.append(envelope(table, orders(table.num_rows)))
            yield pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        for part in pending_rejections():
            yield part


# ---------------------------------------------------------------- writing

def shard_suffix(output: Path, to: str) -> str:
    """`.jsonl`, `.jsonl.gz`, `.parquet`… from the output name, else the format's default."""
    from core.export import FORMAT_SUFFIX
    from core.io import split_suffixes
    kind, compression = split_suffixes(output)
    if not kind:
        return FORMAT_SUFFIX[to]
    return "".join(output.suffixes[-2 if compression else -1:])


def prepare_directory(path: Path) -> None:
    """An output directory: new, empty, or an earlier Sieve output (whose shards are replaced)."""
    if path.exists() and not path.is_dir():
        raise SieveInputError("the Ray engine writes a directory of shards here, but a file exists "
                              "with this name; remove it or choose another --output", file=str(path))
    if path.is_dir() and any(path.iterdir()):
        if not (path / MARKER).exists():
            raise SieveInputError("output directory is not empty and was not written by Sieve; "
                                  "choose an empty or new directory", file=str(path))
        shutil.rmtree(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / MARKER).write_text("written by Sieve's Ray engine; the next run to this path replaces it\n")


def _parse_losses(lines: list[str]) -> Counter:
    counts: Counter = Counter()
    for line in lines:
        match = re.fullmatch(r"(.*) \((\d+) records\)", line)
        if match:
            counts[match.group(1)] += int(match.group(2))
        else:
            counts[line] += 0
    return counts


def merge_losses(per_shard: list[list[str]]) -> list[str]:
    total: Counter = Counter()
    for lines in per_shard:
        total.update(_parse_losses(lines))
    return [f"{text} ({n} records)" for text, n in total.most_common()]


@dataclass(frozen=True)
class Outputs:
    """Where and how a run writes: directories of shards for the kept rows, the ledger, the rejected rows."""

    directory: Path
    suffix: str                 # of the kept-row shards: ".jsonl", ".jsonl.gz", ".parquet", …
    to: str                     # output format
    normalization: object       # the recipe's export.normalization
    ledger_directory: Path
    ledger_suffix: str          # ".parquet" or ".jsonl" (as the local engine's --ledger)
    rejected_directory: Path | None

    def directories(self) -> list[Path]:
        return [d for d in (self.directory, self.ledger_directory, self.rejected_directory) if d is not None]


def make_sink(outputs: Outputs, rows_per_shard: int):
    """A Ray Data Datasink writing three shards per write task: kept rows, ledger, rejected rows."""
    from ray.data import Datasink

    class SieveSink(Datasink):
        def __init__(self):
            self.results: list[dict] = []

        def write(self, blocks, ctx) -> dict:
            return write_shards(blocks, f"part-{ctx.task_idx:05d}", outputs)

        def on_write_complete(self, write_result) -> None:
            self.results = [r for r in write_result.write_returns if r]
            for directory in outputs.directories():
                (directory / SUCCESS).write_text("")

        def get_name(self) -> str:
            return "Sieve"

        @property
        def min_rows_per_write(self) -> int:
            return rows_per_shard  # fewer, larger shards than one per block

    return SieveSink()


def write_shards(blocks, name: str, outputs: Outputs) -> dict:
    """Write one task's blocks: kept rows in the target format, the ledger, the rejected rows."""
    from core.engine.local import _LedgerWriter
    from core.export import RejectedWriter, normalize_table
    from core.load import write_dataset

    counts = {"input_rows": 0, "kept_rows": 0, "by_reason": Counter(), "by_step": Counter()}
    ledger_writer = _LedgerWriter(outputs.ledger_directory / f"{name}{outputs.ledger_suffix}")
    rejected = (RejectedWriter(outputs.rejected_directory / f"{name}.jsonl")
                if outputs.rejected_directory is not None else None)

    def kept_tables() -> Iterator[pa.Table]:
        for block in blocks:
            table = block if isinstance(block, pa.Table) else pa.Table.from_pandas(block)
            counts["input_rows"] += table.num_rows
            alive = alive_mask(table)
            dropped = table.filter(pc.invert(alive))
            if dropped.num_rows:
                ledger = ledger_of(dropped)
                ledger_writer(ledger, None)
                counts["by_reason"].update(ledger.column("reason").to_pylist())
                counts["by_step"].update(ledger.column("step").to_pylist())
                if rejected is not None:
                    _write_rejected(rejected, dropped, ledger)
            kept = table.filter(alive)
            counts["kept_rows"] += kept.num_rows
            yield normalize_table(_canonical(kept), outputs.normalization)

    error = None
    try:
        report = write_dataset(kept_tables(), outputs.directory / f"{name}{outputs.suffix}", to=outputs.to)
    except BaseException as exc:
        error = exc
        raise
    finally:
        ledger_writer.close()
        if rejected is not None:
            rejected.close(error)
    counts["losses"] = report.losses
    return counts


def _canonical(table: pa.Table) -> pa.Table:
    return table.select(list(CANONICAL_COLUMNS)).cast(CANONICAL_SCHEMA)


def _write_rejected(writer, dropped: pa.Table, ledger: pa.Table) -> None:
    """Dropped rows as the local --rejected lines; unreadable records with their original text."""
    unreadable = pc.fill_null(pc.equal(ledger.column("step"), ledger_mod.UNREADABLE_STEP), False).combine_chunks()
    readable = pc.invert(unreadable)
    writer(ledger.filter(readable), _canonical(dropped.filter(readable)))
    bad = ledger.filter(unreadable)
    for row, raw in enumerate(dropped.filter(unreadable).column(RAW).to_pylist()):
        writer.unreadable(bad.slice(row, 1), raw)
