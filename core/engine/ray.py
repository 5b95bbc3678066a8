"""The Ray Data engine: the same recipe, the same steps and the same result as the local engine.

    python -m core run recipe.yaml --input data.jsonl --output clean.jsonl --engine ray [--address ADDR]

Without --address a local Ray is started for the run (dashboard off, bound to 127.0.0.1, its temp
directory under /tmp, usage stats off) and shut down after; with one, the run connects to that
cluster and ships the `core` package to the workers. Row stages (metrics, filters, transforms) run
`run_row_steps` in `map_batches` (an actor pool when a step loads a model, so it loads once per
worker); dedup stages are in core/engine/ray_dedup.py; reading and the sharded outputs in
core/engine/ray_io.py. Only counts and small dedup structures ever reach the driver.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from core.engine.plan import dropping_labels, funnel, plan_stages, run_row_steps
from core.engine.ray_io import DROP, ORDER, RAW, alive_mask, envelope
from core.errors import SieveConfigError, SieveError
from core.steps import Step

OFFLINE_ENV = {"RAY_USAGE_STATS_ENABLED": "0", "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
               "YDATA_PROFILING_NO_ANALYTICS": "1"}
ROWS_PER_SHARD = 200_000
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


# ---------------------------------------------------------------- session

def start_local_ray(num_cpus: int | None = None) -> str:
    """Start a private local Ray (127.0.0.1, no dashboard, no usage stats); returns its temp dir."""
    os.environ.update({k: v for k, v in OFFLINE_ENV.items() if k not in os.environ or k == "RAY_USAGE_STATS_ENABLED"})
    import ray
    temp_dir = tempfile.mkdtemp(prefix="sieve-ray-", dir="/tmp")  # short: Ray's socket paths are limited
    ray.init(num_cpus=num_cpus or os.cpu_count() or 1, include_dashboard=False, _temp_dir=temp_dir,
             _node_ip_address="127.0.0.1", logging_level=logging.WARNING, log_to_driver=False,
             runtime_env={"env_vars": _worker_env()})
    return temp_dir


def stop_local_ray(temp_dir: str) -> None:
    import ray
    ray.shutdown()
    shutil.rmtree(temp_dir, ignore_errors=True)


def _worker_env() -> dict[str, str]:
    root = str(_PACKAGE_DIR.parent)
    path = os.environ.get("PYTHONPATH")
    return {**OFFLINE_ENV, "PYTHONPATH": f"{root}{os.pathsep}{path}" if path else root}


@contextmanager
def ray_session(address: str | None = None, num_cpus: int | None = None) -> Iterator[int]:
    """A Ray connection for one run (reusing one already open, e.g. a test's); yields the cluster's CPUs."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    import ray
    import ray.data
    temp_dir = None
    if not ray.is_initialized():
        if address:
            ray.init(address=address, logging_level=logging.WARNING, log_to_driver=False,
                     runtime_env={"py_modules": [str(_PACKAGE_DIR)], "env_vars": OFFLINE_ENV})
        else:
            temp_dir = start_local_ray(num_cpus)
    try:
        context = ray.data.DataContext.get_current()
        context.execution_options.preserve_order = True  # shards in input order, like the local output
        context.enable_progress_bars = sys.stderr.isatty()  # Ray Data's own bars, on a terminal only
        # A failing task's traceback is Ray's log, not the user's: the error itself is re-raised
        # (and printed by the CLI as one line); SIEVE_DEBUG=1 keeps Ray's logs.
        if not os.environ.get("SIEVE_DEBUG"):
            logging.getLogger("ray.data").setLevel(logging.CRITICAL)
        yield max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if temp_dir is not None:
            stop_local_ray(temp_dir)
        elif address:
            ray.shutdown()


# ---------------------------------------------------------------- row stages

def row_stage_batch(batch: pa.Table, steps: Sequence[Step], labels: Sequence[str]) -> pa.Table:
    """One batch through a row stage: live rows run `run_row_steps`, new drops get their ledger columns."""
    from core.engine.ray_dedup import ready
    alive = alive_mask(batch)
    live = batch.filter(alive)
    if live.num_rows == 0:
        return batch
    dead = batch.filter(pc.invert(alive))
    orders = live.column(ORDER).combine_chunks()
    real_ids = live.column("id").combine_chunks()
    # Steps see the input order as the id: unique even when shards repeat ids; restored below.
    work = live.drop_columns([*DROP.values(), RAW])
    work = work.set_column(work.schema.get_field_index("id"), "id", pc.cast(orders, pa.string()))
    result = run_row_steps(work, [ready(s) for s in steps], labels)

    def real(ids: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, pa.Array]:
        as_orders = pc.cast(ids, pa.int64())
        return as_orders, real_ids.take(pc.index_in(as_orders, value_set=orders))

    kept = result.kept
    _, kept_ids = real(kept.column("id"))
    kept = kept.set_column(kept.schema.get_field_index("id"), "id", kept_ids)
    parts = [dead, envelope(kept.drop_columns([ORDER]), kept.column(ORDER).to_numpy())]
    if result.ledger.num_rows:
        dropped_orders, dropped_ids = real(result.dropped.column("id"))
        ledger = result.ledger.set_column(0, "id", dropped_ids)
        dropped = result.dropped.set_column(0, "id", dropped_ids)
        parts.append(envelope(dropped, dropped_orders.to_numpy(), ledger))
    return pa.concat_tables([p for p in parts if p.num_rows] or [dead], promote_options="permissive")


class ModelStage:
    """An actor-pool callable: sets its steps up once per worker, then runs `fn` on every batch."""

    def __init__(self, fn: Callable, *args):
        from core.engine.ray_dedup import ready
        self.fn, self.args = fn, args
        for arg in args:
            for step in (arg if isinstance(arg, (list, tuple)) else [arg]):
                if isinstance(step, Step):
                    ready(step)

    def __call__(self, batch: pa.Table) -> pa.Table:
        return self.fn(batch, *self.args)


def _uses_model(steps: Sequence[Step]) -> bool:
    return any(getattr(s, "uses_model", False) for s in steps)


def build_pipeline(ds, steps: Sequence[Step], batch_size: int, cpus: int):
    """The recipe's stages over a dataset of envelope rows (lazy, streamed; dedup stages materialize)."""
    from core.engine.ray_dedup import dedup_stage
    model_actors = max(1, cpus // 2)
    parts = max(2, 2 * cpus)
    for stage in plan_stages(steps):
        if stage.kind == "dedup":
            ds = dedup_stage(ds, stage.steps[0], stage.labels[0], parts, model_actors)
        elif _uses_model(stage.steps):
            ds = ds.map_batches(ModelStage, fn_constructor_args=(row_stage_batch, stage.steps, stage.labels),
                                concurrency=model_actors, batch_size=batch_size, batch_format="pyarrow")
        else:
            ds = ds.map_batches(row_stage_batch, fn_kwargs={"steps": stage.steps, "labels": stage.labels},
                                batch_size=batch_size, batch_format="pyarrow")
    return ds


# ---------------------------------------------------------------- files in, files out (the CLI)

def run_files(recipe, steps: Sequence[Step], input_path: str | Path, output_path: str | Path, *,
              address: str | None = None, rejected_path: str | Path | None = None,
              ledger_path: str | Path | None = None, output_format: str | None = None,
              input_format: str | None = None, batch_size: int = 4096, num_cpus: int | None = None) -> dict:
    """Read, clean, normalize and write as directories of shards; returns the local engine's JSON summary."""
    from core.engine.ray_io import (Outputs, check_input, input_files, make_sink, prepare_directory, read_input,
                                    shard_suffix)
    from core.writers import _check_path

    export = recipe.export
    if export.split.validation_fraction > 0:
        raise SieveConfigError("export.split: the train/validation split runs on the local engine only "
                               "(it ranks every kept id); on Ray, set validation_fraction to 0 and split "
                               "the output afterwards with the local engine")
    to = output_format or export.format
    output = Path(output_path)
    suffix = shard_suffix(output, to)
    _check_path(str(output / f"part-00000{suffix}"), to)
    files = input_files(input_path)
    detected = check_input(files, input_format)
    outputs = Outputs(output, suffix, to, export.normalization,
                      ledger_directory=Path(ledger_path) if ledger_path else output.with_name(output.name + ".ledger"),
                      ledger_suffix=".jsonl" if ledger_path and Path(ledger_path).suffix != ".parquet" else ".parquet",
                      rejected_directory=Path(rejected_path) if rejected_path else None)
    for directory in outputs.directories():
        prepare_directory(directory)
    started = time.perf_counter()
    with ray_session(address, num_cpus) as cpus:
        try:
            ds = build_pipeline(read_input(files, detected, batch_size), steps, batch_size, cpus)
            sink = make_sink(outputs, ROWS_PER_SHARD)
            ds.write_datasink(sink)
        except Exception as exc:
            for directory in outputs.directories():
                shutil.rmtree(directory, ignore_errors=True)  # no half-written output survives
            cause = user_error(exc)
            if cause is not None:
                raise cause from None
            raise
    return _summary(sink.results, steps, time.perf_counter() - started, outputs)


def _summary(results: list[dict], steps, seconds: float, outputs) -> dict:
    """The local engine's `--json` summary from the write tasks' counts."""
    from core.engine.ray_io import merge_losses
    by_reason: Counter = Counter()
    by_step: Counter = Counter()
    for r in results:
        by_reason.update(r["by_reason"])
        by_step.update(r["by_step"])
    input_rows = sum(r["input_rows"] for r in results)
    kept_rows = sum(r["kept_rows"] for r in results)
    summary = {"input_rows": input_rows, "kept_rows": kept_rows, "dropped_rows": sum(by_step.values()),
               "by_reason": dict(by_reason.most_common()), "by_step": dict(by_step),
               "funnel": [{"step": s, "rows": n} for s, n in funnel(input_rows, dropping_labels(steps), dict(by_step))],
               "seconds": round(seconds, 3), "engine": "ray",
               "outputs": [{"path": str(outputs.directory), "rows": kept_rows,
                            "losses": merge_losses([r["losses"] for r in results])}],
               "ledger": str(outputs.ledger_directory)}
    if outputs.rejected_directory is not None:
        summary["rejected_file"] = str(outputs.rejected_directory)
    return summary


def user_error(exc: BaseException) -> SieveError | None:
    """The Sieve error a Ray task raised, unwrapped from Ray's task and user-code wrappers."""
    stack, seen = [exc], set()
    while stack:
        error = stack.pop()
        if error is None or id(error) in seen:
            continue
        seen.add(id(error))
        if isinstance(error, SieveError) and type(error).__module__ == "core.errors":
            # Ray Data appends its retry advice to the message; the user's error is what came before
            message = re.split(r"\nFailed to [^\n]* after \d+/\d+ attempts", str(error))[0]
            return type(error)(message)
        stack += [getattr(error, "cause", None), error.__cause__, error.__context__]
    return None
