"""The local engine: a recipe streamed batch by batch through one process, memory flat in input size.

Row stages are lazy generators over the input batches. A dedup stage is a boundary: the batches
reaching it are spilled to a temporary Parquet file, signatures are computed batch by batch,
`resolve` runs once, and the spill is streamed again with the duplicates dropped. Only dedup
signatures (a few numbers per row) are ever held for the whole dataset.
"""

from __future__ import annotations

import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from core import ledger as ledger_mod
from core.dedup.runner import SignatureStack
from core.engine.plan import (Stage, apply_dedup, dedup_signatures, dedup_threshold, dropping_labels,
                              funnel, plan_stages, run_row_steps)
from core.steps import Step

# Called with (ledger rows, the dropped rows) for every batch of drops, in the order they happen.
DropSink = Callable[[pa.Table, pa.Table], None]


@dataclass
class RunSummary:
    input_rows: int = 0
    kept_rows: int = 0
    dropped_rows: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)
    by_step: dict[str, int] = field(default_factory=dict)
    funnel: list[tuple[str, int]] = field(default_factory=list)
    seconds: float = 0.0
    engine: str = "local"

    def to_json(self) -> dict:
        return {"input_rows": self.input_rows, "kept_rows": self.kept_rows, "dropped_rows": self.dropped_rows,
                "by_reason": self.by_reason, "by_step": self.by_step,
                "funnel": [{"step": s, "rows": r} for s, r in self.funnel],
                "seconds": round(self.seconds, 3), "engine": self.engine}


class _Tally:
    """Counts rows in and drops by step/reason as the stream flows, and forwards drops to the sink."""

    def __init__(self, sink: DropSink | None):
        self.sink = sink
        self.input_rows = 0
        self.by_reason: Counter[str] = Counter()
        self.by_step: Counter[str] = Counter()

    def drops(self, ledger: pa.Table, dropped: pa.Table) -> None:
        if ledger.num_rows == 0:
            return
        self.by_reason.update(ledger.column("reason").to_pylist())
        self.by_step.update(ledger.column("step").to_pylist())
        if self.sink:
            self.sink(ledger, dropped)


def _counted(batches: Iterable[pa.Table], tally: _Tally) -> Iterator[pa.Table]:
    for batch in batches:
        tally.input_rows += batch.num_rows
        yield batch


def _row_stage(batches: Iterable[pa.Table], stage: Stage, tally: _Tally) -> Iterator[pa.Table]:
    for step in stage.steps:
        step.setup()
    for batch in batches:
        result = run_row_steps(batch, stage.steps, stage.labels)
        tally.drops(result.ledger, result.dropped)
        if result.kept.num_rows:
            yield result.kept


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Cast a batch to the spill schema (a column that was all-null in the first batch is widened)."""
    if table.schema.equals(schema):
        return table
    return table.select(schema.names).cast(schema)


def spill(batches: Iterable[pa.Table], path: Path) -> tuple[Path, int]:
    """Write batches to one Parquet file; returns (path, rows). Types are fixed by the first
    non-empty batch, with null-typed columns widened to string so later batches fit."""
    writer = None
    rows = 0
    try:
        for batch in batches:
            if writer is None:
                schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in batch.schema])
                writer = pq.ParquetWriter(path, schema)
            writer.write_table(_conform(batch, writer.schema))
            rows += batch.num_rows
    finally:
        if writer is not None:
            writer.close()
    return (path if writer is not None else None), rows


def read_spill(path: Path | None, batch_size: int) -> Iterator[pa.Table]:
    if path is None:
        return
    for record_batch in pq.ParquetFile(path).iter_batches(batch_size=batch_size):
        yield pa.Table.from_batches([record_batch])


def _dedup_stage(batches: Iterable[pa.Table], stage: Stage, tally: _Tally, workdir: Path,
                 index: int, batch_size: int) -> Iterator[pa.Table]:
    step, label = stage.steps[0], stage.labels[0]
    step.setup()
    path, rows = spill(batches, workdir / f"stage-{index}.parquet")
    if not rows:
        return
    signatures, order = SignatureStack(rows), 0
    for batch in read_spill(path, batch_size):
        signatures.add(dedup_signatures(step, batch, order))
        order += batch.num_rows
    result = step.resolve(signatures.table())
    dedup_ledger = ledger_mod.from_dedup(result, label, dedup_threshold(step))
    for batch in read_spill(path, batch_size):
        applied = apply_dedup(batch, dedup_ledger)
        tally.drops(applied.ledger, applied.dropped)
        if applied.kept.num_rows:
            yield applied.kept
    path.unlink(missing_ok=True)


class LocalRun:
    """A recipe's steps over a stream of canonical batches: iterate `kept()`, then read `summary()`."""

    def __init__(self, steps: Sequence[Step], batches: Iterable[pa.Table], *, on_drop: DropSink | None = None,
                 workdir: str | Path | None = None, batch_size: int = 4096):
        self.steps = list(steps)
        self.started = time.perf_counter()
        self.tally = _Tally(on_drop)
        self.kept_rows = 0
        self._own_tmp = tempfile.TemporaryDirectory(prefix="sieve-run-") if workdir is None else None
        work = Path(self._own_tmp.name if self._own_tmp else workdir)
        stream: Iterable[pa.Table] = _counted(batches, self.tally)
        for index, stage in enumerate(plan_stages(self.steps)):
            if stage.kind == "rows":
                stream = _row_stage(stream, stage, self.tally)
            else:
                stream = _dedup_stage(stream, stage, self.tally, work, index, batch_size)
        self._stream = stream

    def record_unreadable(self, ledger: pa.Table, *, to_sink: bool = True) -> None:
        """Loader rejections: input rows that are dropped before any step (reason 'unreadable: …')."""
        self.tally.input_rows += ledger.num_rows
        sink, self.tally.sink = self.tally.sink, (self.tally.sink if to_sink else None)
        try:
            self.tally.drops(ledger, None)
        finally:
            self.tally.sink = sink

    def kept(self) -> Iterator[pa.Table]:
        try:
            for batch in self._stream:
                self.kept_rows += batch.num_rows
                yield batch
        finally:
            if self._own_tmp:
                self._own_tmp.cleanup()

    def summary(self) -> RunSummary:
        by_step = dict(self.tally.by_step)
        return RunSummary(input_rows=self.tally.input_rows, kept_rows=self.kept_rows,
                          dropped_rows=sum(by_step.values()), by_reason=dict(self.tally.by_reason.most_common()),
                          by_step=by_step, funnel=funnel(self.tally.input_rows, dropping_labels(self.steps), by_step),
                          seconds=time.perf_counter() - self.started)


def run_table(steps: Sequence[Step], table: pa.Table, *, batch_size: int = 4096) -> tuple[pa.Table, pa.Table, RunSummary]:
    """In-memory convenience: (kept table, ledger, summary) for a whole table (tests, the page)."""
    ledgers: list[pa.Table] = []
    batches = (table.slice(s, batch_size) for s in range(0, table.num_rows, batch_size))
    run = LocalRun(steps, batches, on_drop=lambda led, _rows: ledgers.append(led), batch_size=batch_size)
    kept_parts = list(run.kept())
    kept = pa.concat_tables(kept_parts, promote_options="permissive") if kept_parts else table.slice(0, 0)
    return kept, ledger_mod.concat(ledgers), run.summary()


# ---------------------------------------------------------------- files in, files out (the CLI)

def _rejection_ledger(rejection) -> pa.Table:
    """A loader Rejection as one ledger row; its id says where the record was."""
    record = getattr(rejection, "record", None)
    line = getattr(rejection, "line", None)
    rid = getattr(rejection, "id", None) or (f"line {line}" if line is not None else f"record {record}")
    reason = getattr(rejection, "reason", None) or getattr(rejection, "message", None) or str(rejection)
    return ledger_mod.from_unreadable([str(rid)], [str(reason)])


def run_files(recipe, steps: Sequence[Step], input_path: str | Path, output_path: str | Path, *,
              rejected_path: str | Path | None = None, ledger_path: str | Path | None = None,
              output_format: str | None = None, input_format: str | None = None,
              batch_size: int = 4096) -> dict:
    """Read, clean, normalize, split and write: the CLI's local engine. Returns the JSON summary."""
    from core.export import RejectedWriter, canonical, normalize_table
    from core.load import iter_batches

    export = recipe.export
    to = output_format or export.format
    sinks: list[Callable[[pa.Table, pa.Table | None], None]] = []
    rejected = RejectedWriter(rejected_path) if rejected_path else None
    ledger_writer = _LedgerWriter(ledger_path) if ledger_path else None
    sinks += [s for s in (rejected, ledger_writer) if s is not None]

    def on_drop(ledger: pa.Table, dropped: pa.Table | None) -> None:
        for sink in sinks:
            sink(ledger, dropped)

    run: LocalRun | None = None

    def on_reject(rejection) -> None:
        led = _rejection_ledger(rejection)
        run.record_unreadable(led, to_sink=False)
        if ledger_writer:
            ledger_writer(led, None)
        if rejected:
            rejected.unreadable(led, getattr(rejection, "raw", None))

    # Unreadable records are dropped with their reason (and counted), never a reason to stop.
    batches = iter_batches(input_path, format=input_format, batch_size=batch_size, on_reject=on_reject,
                           on_error="skip")
    error: BaseException | None = None
    with tempfile.TemporaryDirectory(prefix="sieve-run-") as work:
        try:
            run = LocalRun(steps, batches, on_drop=on_drop, workdir=work, batch_size=batch_size)
            normalized = (normalize_table(b, export.normalization) for b in run.kept())
            outputs = _write_outputs(normalized, Path(output_path), to, export.split, Path(work), batch_size,
                                     canonical)
        except BaseException as exc:
            error = exc
            raise
        finally:
            for closer in (rejected, ledger_writer):
                if closer is not None:
                    closer.close(error)
    result = run.summary().to_json()
    result["outputs"] = outputs
    if rejected:
        result["rejected_file"] = str(rejected_path)
    return result


def _write_outputs(kept: Iterable[pa.Table], output: Path, to: str, split, work: Path, batch_size: int,
                   canonical) -> list[dict]:
    from core.export import assign_validation, split_paths
    from core.load import write_dataset

    if split.validation_fraction <= 0:
        report = write_dataset((canonical(b) for b in kept), output, to=to)
        return [{"path": str(output), "rows": report.rows, "losses": _losses(report)}]
    # The split needs every kept id first (like dedup signatures): spill, assign, stream twice.
    path, _ = spill(kept, work / "kept.parquet")
    if path is None:
        ids, strata = [], None
    else:
        columns = ["id"] + ([split.stratify_by] if split.stratify_by else [])
        head = pq.read_table(path, columns=columns)
        ids = head.column("id").to_pylist()
        strata = head.column(split.stratify_by).to_pylist() if split.stratify_by else None
    is_validation = assign_validation(ids, split.validation_fraction, split.seed, strata)
    outputs = []
    for target, want in zip(split_paths(output), (False, True)):
        def part(want=want) -> Iterator[pa.Table]:
            start = 0
            for batch in read_spill(path, batch_size):
                mask = is_validation[start:start + batch.num_rows] == want
                start += batch.num_rows
                yield canonical(batch.filter(pa.array(mask)))
        report = write_dataset(part(), target, to=to)
        outputs.append({"path": str(target), "rows": report.rows, "losses": _losses(report)})
    return outputs


def _losses(report) -> object:
    losses = getattr(report, "losses", None)
    return losses if isinstance(losses, (dict, list, int)) or losses is None else str(losses)


class _LedgerWriter:
    """The full ledger as Parquet (or JSONL by extension), streamed."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.writer = (pq.ParquetWriter(self.path, ledger_mod.LEDGER_SCHEMA) if self.path.suffix == ".parquet"
                       else open(self.path, "wb"))

    def __call__(self, ledger: pa.Table, _dropped) -> None:
        if isinstance(self.writer, pq.ParquetWriter):
            self.writer.write_table(ledger)
        else:
            import orjson
            for row in ledger.to_pylist():
                self.writer.write(orjson.dumps(row) + b"\n")

    def close(self, _error=None) -> None:
        self.writer.close()
