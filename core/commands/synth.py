"""`python -m core synth CONFIG.yaml --output OUT.jsonl [--resume] [--json]`: generate, judge, filter, store.

Accepted rows go to OUT.jsonl (canonical records, one per line, appended as they are decided);
rejected ones, with stage and reason, to OUT.rejected.jsonl. Both are appended row by row, and
every answered request is in the request cache first, so a killed run resumed with --resume
re-derives the finished rows from the cache without paying again and only asks what is missing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import orjson

from core.errors import SieveInputError
from core.io import atomic_writer
from core.progress import progress


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser(
        "synth", help="Generate instruction data through an OpenAI-compatible endpoint",
        description="Prompt -> instruction -> completion -> judge -> filter -> store, with a request "
                    "cache so reruns and resumes never pay twice. Keys come from the environment "
                    "variable each endpoint names (api_key_env).")
    parser.add_argument("config", help="synthesis YAML (see examples/synth.yaml)")
    parser.add_argument("--output", "-o", required=True, help="accepted rows, canonical JSONL")
    parser.add_argument("--resume", action="store_true", help="continue a run whose output already exists")
    parser.add_argument("--rows", type=int, default=None, help="override the config's row count")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    parser.set_defaults(func=run)


def rejected_path(output: Path) -> Path:
    return output.with_name(output.name.removesuffix(".jsonl") + ".rejected.jsonl")


def read_jsonl_tolerant(path: Path) -> list[dict]:
    """Rows of a JSONL file this command wrote; a line torn by a kill is dropped and the file sealed."""
    if not path.exists():
        return []
    data = path.read_bytes()
    rows, good = [], []
    for line in data.splitlines(keepends=True):
        try:
            rows.append(orjson.loads(line))
            good.append(line if line.endswith(b"\n") else line + b"\n")
        except orjson.JSONDecodeError:
            continue
    cleaned = b"".join(good)
    if cleaned != data:
        _write_atomic(path, cleaned)
    return rows


def _write_atomic(path: Path, data: bytes) -> None:
    with atomic_writer(path) as fh:
        fh.write(data)


def run(args: argparse.Namespace) -> int:
    from core.synth.config import load_config
    from core.synth.pipeline import SynthesisRun

    config = load_config(args.config)
    if args.rows is not None:
        config = config.model_copy(update={"rows": args.rows})
    output = Path(args.output)
    rejected_file = rejected_path(output)
    if output.exists() and not args.resume:
        raise SieveInputError("output exists; pass --resume to continue that run or choose another path",
                              file=str(output))
    output.parent.mkdir(parents=True, exist_ok=True)
    done_accepted = {r["id"] for r in read_jsonl_tolerant(output)} if args.resume else set()
    previous_rejected = read_jsonl_tolerant(rejected_file) if args.resume else []
    # transient failures (timeouts, 429, 5xx) get another chance; every other verdict stands
    done_rejected = {r["id"] for r in previous_rejected if not r.get("transient")}

    synthesis = SynthesisRun(config)
    final_rejected: dict[str, dict] = {r["id"]: r for r in previous_rejected}
    accepted_now = 0
    bar = progress(None, desc="synth", unit="row")
    with open(output, "ab") as out, open(rejected_file, "ab") as rej:
        def on_outcome(outcome) -> None:
            nonlocal accepted_now
            bar.update(1)
            if outcome.accepted:
                final_rejected.pop(outcome.id, None)
                if outcome.id not in done_accepted:
                    out.write(orjson.dumps(outcome.record) + b"\n")
                    out.flush()
                    accepted_now += 1
            elif outcome.id not in done_accepted and outcome.id not in done_rejected:
                entry = outcome.rejected_entry()
                final_rejected[outcome.id] = entry
                rej.write(orjson.dumps(entry) + b"\n")
                rej.flush()

        def on_progress(done: int, total: int | None, message: str) -> None:
            bar.total = total
            bar.set_postfix_str(f"{synthesis.usage.requests_sent} requests, {synthesis.usage.cache_hits} cached")

        result = synthesis.run(on_outcome=on_outcome, on_progress=on_progress)
    bar.close()
    # one line per rejected row: its latest verdict, and none for rows accepted on a retry
    accepted_ids = done_accepted | {r["id"] for r in result.accepted}
    _write_atomic(rejected_file, b"".join(orjson.dumps(r) + b"\n" for r in final_rejected.values()
                                          if r["id"] not in accepted_ids))
    summary = {"output": str(output), "rejected_file": str(rejected_file),
               "rows": len(result.accepted) + len(result.rejected), "accepted": len(result.accepted),
               "accepted_this_run": accepted_now, "rejected": len(result.rejected),
               "rejected_reasons": dict(result.reasons.most_common()), **result.usage}
    if args.json:
        print(orjson.dumps(summary, option=orjson.OPT_INDENT_2).decode())
    else:
        _print_summary(summary)
    return 0


def _print_summary(s: dict) -> None:
    print(f"accepted {s['accepted']} of {s['rows']} rows ({s['accepted_this_run']} new) -> {s['output']}")
    print(f"rejected {s['rejected']} -> {s['rejected_file']}")
    for reason, count in list(s["rejected_reasons"].items())[:10]:
        print(f"  {count:>5}  {reason}")
    cost = f"${s['cost']:.4f}" if s["cost"] is not None else "n/a (no prices configured)"
    print(f"requests sent {s['requests_sent']} (retries {s['retries']}), cache hits {s['cache_hits']}; "
          f"tokens {s['prompt_tokens']:,} in / {s['completion_tokens']:,} out; cost {cost}")
