"""The Ray engine against the local engine: same kept rows, same ledger, same summary, same errors.

One local Ray (2 CPUs) serves the module. The recipe exercises every Ray path at once: a
model-backed metric (actor pool), a threshold filter, exact dedup and MinHash dedup (distributed,
including a bucket of more than 64 rows, where the local code switches to star edges) and a dedup
without a distributed implementation (resolved in one task).
"""

from __future__ import annotations

import glob
import json
import os
import random
import sys
from typing import ClassVar

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from core.cli import main
from core.schema import role_texts
from core.steps import ColumnSpec, Deduplicator, DedupResult, Metric, register

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")

WORDS = ("river stone cloud paper lamp orange violin garden window copper silver forest engine "
         "harbor meadow candle rocket pencil bridge marble").split()


@register
class FakeVowelModel(Metric):
    """Vowel share of the response, standing in for a model-backed metric (runs in an actor pool)."""

    name: ClassVar[str] = "test_ray_vowels"
    uses_model: ClassVar[bool] = True
    setup_log: ClassVar[str | None] = None  # a file each setup() appends its process id to

    def setup(self):
        if FakeVowelModel.setup_log:
            with open(FakeVowelModel.setup_log, "a") as fh:
                fh.write(f"{os.getpid()}\n")

    def columns(self):
        return [ColumnSpec(name="test_vowel_share", dtype="float", description="vowel share", better="higher")]

    def compute(self, table):
        texts = role_texts(table, "response")
        return {"test_vowel_share": np.array([sum(c in "aeiou" for c in t) / max(1, len(t)) for t in texts])}


@register
class FakeSameLengthDedup(Deduplicator):
    """Rows whose response has the same length as an earlier one's (first kept): a non-distributed dedup."""

    name: ClassVar[str] = "test_ray_same_length"

    def signatures(self, table):
        return pa.table({"id": table.column("id"),
                         "key": pa.array([len(t) for t in role_texts(table, "response")], pa.int64())})

    def resolve(self, sig):
        first: dict[int, str] = {}
        dropped, kept = [], []
        for rid, key in zip(sig.column("id").to_pylist(), sig.column("key").to_pylist()):
            if key in first:
                dropped.append(rid)
                kept.append(first[key])
            else:
                first[key] = rid
        ledger = pa.table({"id": pa.array(dropped, pa.string()), "cluster": pa.array([0] * len(dropped), pa.int64()),
                           "kept_id": pa.array(kept, pa.string()), "similarity": pa.array([1.0] * len(dropped))})
        return DedupResult(clusters=ledger, ledger=ledger)


RECIPE = """
version: 1
steps:
  - {kind: metric, name: text_length}
  - {kind: metric, name: test_ray_vowels}
  - {kind: filter, name: threshold, params: {column: response_chars, min: 12}}
  - {kind: filter, name: threshold, params: {column: test_vowel_share, min: 0.2}}
  - {kind: dedup, name: exact}
  - {kind: dedup, name: minhash, params: {threshold: 0.7, keep: longest}}
  - {kind: dedup, name: test_ray_same_length}
export: {format: openai}
"""


def sentence(rng: random.Random, n: int = 24) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def write_rows(path, n_rows: int = 3000) -> None:
    """Alpaca rows: unique, exact copies, one-word edits, 80 near-copies of one text, short answers."""
    rng = random.Random(7)
    seeds = [sentence(rng) for _ in range(150)]
    crowd = sentence(rng, 40)
    lines = []
    for i in range(n_rows):
        roll = rng.random()
        if i % 37 == 0:
            words = crowd.split()
            words[i % 40] = "changed"
            instruction = " ".join(words)          # one bucket of ~80 rows: the star-edge case
        elif roll < 0.15:
            instruction = rng.choice(seeds)
        elif roll < 0.35:
            words = rng.choice(seeds).split()
            words[rng.randrange(len(words))] = rng.choice(WORDS) + "x"
            instruction = " ".join(words)
        else:
            instruction = sentence(rng)
        output = " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 60))) + "." * (i % 7)
        lines.append(json.dumps({"instruction": instruction, "input": "", "output": output}))
    lines.insert(1234, "{this line is not JSON")
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(autouse=True, scope="module")
def _unregister_fakes():
    yield
    from core.steps import _REGISTRY
    for key in [("metric", "test_ray_vowels"), ("dedup", "test_ray_same_length")]:
        _REGISTRY.pop(key, None)


@pytest.fixture(scope="module")
def local_ray():
    from ray import cloudpickle
    from core.engine.ray import start_local_ray, stop_local_ray
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import a test module
    temp_dir = start_local_ray(num_cpus=2)
    yield
    stop_local_ray(temp_dir)


def run_cli(capsys, *args) -> tuple[int, dict | None, str]:
    code = main(["run", *map(str, args), "--json"])
    captured = capsys.readouterr()
    return code, (json.loads(captured.out) if code == 0 else None), captured.err


def read_ledger(paths) -> dict[str, dict]:
    rows = pa.concat_tables([pq.read_table(p) for p in paths]).to_pylist()
    return {r["id"]: r for r in rows}


def test_ray_engine_keeps_and_drops_the_same_rows_as_the_local_engine(local_ray, tmp_path, capsys):
    source = tmp_path / "rows.jsonl"
    write_rows(source)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)

    code, local, err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "local.jsonl",
                               "--ledger", tmp_path / "local.ledger.parquet", "--batch-size", 1000)
    assert code == 0, err
    FakeVowelModel.setup_log = str(tmp_path / "setups.txt")
    try:
        code, on_ray, err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "ray.jsonl",
                                    "--engine", "ray", "--rejected", tmp_path / "ray.rejected", "--batch-size", 1000)
    finally:
        FakeVowelModel.setup_log = None
    assert code == 0, err
    # the model-backed metric ran in an actor pool: one long-lived process (2 CPUs -> 1 actor) took
    # every batch, so a model cached by the metric loads once there (scoring calls setup per batch)
    setups = (tmp_path / "setups.txt").read_text().split()
    assert len(setups) >= 3 and len(set(setups)) == 1 and int(setups[0]) != os.getpid()

    for key in ("input_rows", "kept_rows", "dropped_rows", "by_reason", "by_step", "funnel"):
        assert on_ray[key] == local[key], key
    assert local["input_rows"] == 3001
    # every kind of drop happened, so the comparison means something
    assert {"unreadable: invalid JSON", "response_chars<12", "exact: duplicate", "minhash: duplicate",
            "test_ray_same_length: duplicate"} <= set(local["by_reason"])
    assert local["by_reason"]["minhash: duplicate"] > 80

    # the kept rows, in order, byte for byte
    shards = sorted(glob.glob(str(tmp_path / "ray.jsonl" / "part-*.jsonl")))
    assert shards and (tmp_path / "ray.jsonl" / "_SUCCESS").exists()
    assert b"".join(open(s, "rb").read() for s in shards) == (tmp_path / "local.jsonl").read_bytes()

    # the ledger: same rows, reasons, kept twins and similarities (cluster numbers differ by design)
    local_ledger = read_ledger([tmp_path / "local.ledger.parquet"])
    ray_ledger = read_ledger(sorted(glob.glob(str(tmp_path / "ray.jsonl.ledger" / "part-*.parquet"))))
    assert set(ray_ledger) == set(local_ledger)
    for rid, row in local_ledger.items():
        other = ray_ledger[rid]
        assert {k: v for k, v in other.items() if k != "cluster"} == \
               {k: v for k, v in row.items() if k != "cluster"}, rid
    rejected = [json.loads(line) for s in glob.glob(str(tmp_path / "ray.rejected" / "part-*.jsonl"))
                for line in open(s)]
    assert len(rejected) == local["dropped_rows"]
    assert any(r.get("raw") == "{this line is not JSON" for r in rejected)


def test_bad_input_fails_the_same_way_on_both_engines(tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(RECIPE)
    source = tmp_path / "notes.jsonl"
    source.write_text('{"title": "a", "body": "b"}\n' * 3)
    local_code, _, local_err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "a.jsonl")
    ray_code, _, ray_err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "b.jsonl",
                                   "--engine", "ray")
    assert (local_code, ray_code) == (2, 2)
    assert ray_err == local_err
    assert "notes.jsonl" in ray_err and "cannot tell the format" in ray_err
    assert not (tmp_path / "b.jsonl").exists()  # nothing started, nothing written


def test_ray_refuses_the_train_validation_split(tmp_path, capsys):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("version: 1\nexport: {split: {validation_fraction: 0.1}}\n")
    source = tmp_path / "rows.jsonl"
    source.write_text('{"instruction": "a", "output": "b"}\n')
    code, _, err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "o.jsonl", "--engine", "ray")
    assert code == 2 and "split runs on the local engine only" in err


def test_a_bad_shard_found_by_a_worker_is_reported_as_input_error(local_ray, tmp_path, capsys):
    shards = tmp_path / "shards"
    shards.mkdir()
    (shards / "a.jsonl").write_text('{"instruction": "Name a colour.", "output": "Teal is a colour."}\n')
    (shards / "b.jsonl").write_text("\n\n")  # read by a Ray task, not the driver
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("version: 1\n")
    code, _, err = run_cli(capsys, recipe, "--input", shards, "--output", tmp_path / "o.jsonl", "--engine", "ray")
    assert code == 2
    assert err.strip().splitlines()[-1] == f"error: {shards / 'b.jsonl'}: file holds only whitespace: no records to load"
    assert "Traceback" not in err and "retried" not in err
    assert not (tmp_path / "o.jsonl").exists() and not (tmp_path / "o.jsonl.ledger").exists()  # no half output


def test_parquet_shards_and_a_jsonl_ledger_match_the_local_files(local_ray, tmp_path, capsys):
    source = tmp_path / "rows.jsonl"
    write_rows(source, n_rows=300)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("version: 1\nsteps:\n  - {kind: dedup, name: exact}\n")
    code, local, err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "local.parquet",
                               "--format", "parquet", "--ledger", tmp_path / "local.ledger.jsonl")
    assert code == 0, err
    code, on_ray, err = run_cli(capsys, recipe, "--input", source, "--output", tmp_path / "clean",
                                "--format", "parquet", "--ledger", tmp_path / "ray.ledger.jsonl", "--engine", "ray")
    assert code == 0, err
    assert on_ray["by_reason"] == local["by_reason"] and local["by_reason"]["exact: duplicate"] >= 3
    # a name without a data suffix gets the format's: clean/part-00000.parquet
    assert pq.read_table(tmp_path / "clean" / "part-00000.parquet").equals(pq.read_table(tmp_path / "local.parquet"))

    def ledger_lines(paths):
        rows = [json.loads(line) for p in paths for line in open(p)]
        return sorted((r["id"], r["reason"], r["kept_id"]) for r in rows)

    ray_ledger = sorted(glob.glob(str(tmp_path / "ray.ledger.jsonl" / "part-*.jsonl")))
    assert ray_ledger and ledger_lines(ray_ledger) == ledger_lines([tmp_path / "local.ledger.jsonl"])
