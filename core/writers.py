"""Write canonical conversations as OpenAI JSONL (default), ShareGPT, Alpaca or Parquet, atomically.

JSON targets follow the file name: `.jsonl` writes one object per line, `.json` one array; `.gz` or
`.zst` compress. Parquet writes Sieve's canonical schema, which reads back losslessly. What a target
cannot hold is counted in `WriteReport.losses` ("alpaca: tool calls … (12 records)"), never dropped
silently.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

import orjson
import pyarrow as pa

from core.errors import SieveConfigError, SieveInputError
from core.io import atomic_writer, split_suffixes
from core.schema import CANONICAL_COLUMNS, CANONICAL_SCHEMA, Dataset, records_to_table, table_to_records

Target = Literal["openai", "sharegpt", "alpaca", "parquet"]
TARGETS = ("openai", "sharegpt", "alpaca", "parquet")


LOSSY_IDS_KEPT = 10_000


@dataclass
class WriteReport:
    rows: int = 0
    losses: list[str] = field(default_factory=list)
    lossy_rows: int = 0                                   # rows that lost something
    lossy_ids: list[str] = field(default_factory=list)    # their ids (the first LOSSY_IDS_KEPT)


def _tables(source: Any) -> Iterator[pa.Table]:
    """Canonical tables from a Dataset, LoadResult, Table, or an iterable of tables / record dicts."""
    if hasattr(source, "dataset") and isinstance(source.dataset, Dataset):
        source = source.dataset
    if isinstance(source, Dataset):
        source = source.table
    if isinstance(source, pa.Table):
        yield source.select(list(CANONICAL_COLUMNS))
        return
    pending: list[dict] = []
    for item in source:
        if isinstance(item, pa.Table):
            if pending:
                yield records_to_table(pending)
                pending = []
            yield item.select(list(CANONICAL_COLUMNS))
        else:
            pending.append(item)
            if len(pending) >= 10_000:
                yield records_to_table(pending)
                pending = []
    if pending:
        yield records_to_table(pending)


def _check_path(path: str, to: str) -> str | None:
    kind, _ = split_suffixes(path)
    if to == "parquet":
        if kind != "parquet":
            raise SieveInputError("--to parquet needs an output name ending in .parquet", file=path)
        return kind
    if kind not in ("json", "jsonl"):
        raise SieveInputError(f"--to {to} writes JSON: name the output .jsonl or .json (optionally .gz/.zst)",
                              file=path)
    return kind


def write_dataset(records_or_tables: Any, path: str | os.PathLike, *, to: Target = "openai") -> WriteReport:
    """Write conversations to `path` in the target format; returns rows written and losses."""
    if to not in TARGETS:
        raise SieveInputError(f"unknown target '{to}'; choose one of {', '.join(TARGETS)}")
    path = str(path)
    kind = _check_path(path, to)
    if to == "parquet":
        return _write_parquet(_tables(records_or_tables), path)
    from core.detect import MODULES
    module = MODULES[to]
    report, losses = WriteReport(), Counter()
    as_array = kind == "json"
    with atomic_writer(path) as fh:
        fh.write(b"[\n" if as_array else b"")
        for table in _tables(records_or_tables):
            lines = []
            for record in table_to_records(table):
                row, record_losses = module.from_conversation(record)
                if record_losses:
                    losses.update(set(record_losses))
                    report.lossy_rows += 1
                    if len(report.lossy_ids) < LOSSY_IDS_KEPT:
                        report.lossy_ids.append(record["id"])
                lines.append(orjson.dumps(row, option=orjson.OPT_NON_STR_KEYS))
            if lines:
                sep = b",\n" if as_array else b"\n"
                fh.write((sep if as_array and report.rows else b"") + sep.join(lines) + (b"" if as_array else b"\n"))
            report.rows += len(lines)
        fh.write(b"\n]\n" if as_array else b"")
    report.losses = [f"{to}: {text} ({n} records)" for text, n in losses.most_common()]
    return report


def _write_parquet(tables: Iterable[pa.Table], path: str) -> WriteReport:
    import pyarrow.parquet as pq
    report = WriteReport()
    with atomic_writer(path) as fh:
        writer = pq.ParquetWriter(fh, CANONICAL_SCHEMA, compression="zstd")
        try:
            for table in tables:
                writer.write_table(table.cast(CANONICAL_SCHEMA))
                report.rows += table.num_rows
        finally:
            writer.close()
    return report


def check_table_path(path: Path) -> Path:
    """`path` if write_table can write it (.jsonl, .parquet, .jsonl.gz/.zst), else a SieveConfigError."""
    if not path.name.endswith((".jsonl", ".parquet", ".jsonl.gz", ".jsonl.zst")):
        raise SieveConfigError(f"--output {path}: write .jsonl or .parquet")
    return path


def write_table(table: pa.Table, path: str | os.PathLike) -> None:
    """Any table (scores, topics, a ledger) as .parquet, else JSON Lines (optionally .gz/.zst), atomically."""
    import pyarrow.parquet as pq

    kind, _ = split_suffixes(path)
    with atomic_writer(path) as fh:
        if kind == "parquet":
            pq.write_table(table, fh)
        else:
            for batch in table.to_batches(max_chunksize=10_000):
                fh.write(b"".join(orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"
                                  for row in batch.to_pylist()))
