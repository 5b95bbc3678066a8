"""`python -m core inspect FILE`: detected format, counts, roles, turn-count distribution, rejects."""

from __future__ import annotations

import argparse
from collections import Counter

import orjson
import pyarrow.compute as pc

from core.commands import add_load_arguments, load_options
from core.load import LoadResult, load_dataset
from core.progress import progress_callback
from core.schema import turn_counts

MAX_LISTED_REJECTS = 10


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inspect", help="Detect a file's format and summarize its conversations",
                                   description="Detect a dataset file's format and summarize it: rows, rejected "
                                               "records, roles and turn counts.")
    parser.add_argument("file", help=".json, .jsonl, .csv or .parquet, optionally .gz/.zst")
    add_load_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--tokenizer", default="mistral",
                        help="tokenizer for the --json metrics summary: mistral, cl100k or a local HF tokenizer folder")
    parser.add_argument("--no-metrics", action="store_true",
                        help="with --json: leave out the metrics summary (token lengths, entropy, validity, languages)")
    parser.set_defaults(func=run)


def summary(result: LoadResult) -> dict:
    """Everything inspect reports, as plain JSON-able values (other commands add keys to this)."""
    table, report = result.dataset.table, result.report
    roles: Counter = Counter()
    if table.num_rows:
        flat = pc.list_flatten(table.column("messages"))
        roles.update(dict(zip(*pc.value_counts(flat.combine_chunks().field("role")).flatten())))
        roles = Counter({str(k): int(v) for k, v in roles.items()})
    turns = Counter(int(n) for n in turn_counts(table)) if table.num_rows else Counter()
    return {
        "file": result.path,
        "format": result.detection.format,
        "confidence": result.detection.confidence,
        "evidence": result.detection.evidence,
        "input_records": report.input_records,
        "loaded": report.loaded,
        "rows": table.num_rows,
        "rejected": len(report.rejected),
        "preference_pairs": int(table.num_rows - table.column("rejected").null_count),
        "roles": dict(roles.most_common()),
        "turns": {str(k): v for k, v in sorted(turns.items())},
        "warnings": report.warnings,
        "rejected_examples": [r.to_dict() | {"raw": r.raw[:300]} for r in report.rejected[:MAX_LISTED_REJECTS]],
    }


def render_text(info: dict) -> str:
    lines = [f"file        {info['file']}",
             f"format      {info['format']} (confidence {info['confidence']:.2f})"]
    lines += [f"evidence    {e}" for e in info["evidence"]]
    lines.append(f"records     {info['input_records']:,} read = {info['loaded']:,} loaded + "
                 f"{info['rejected']:,} rejected")
    lines.append(f"rows        {info['rows']:,} conversations ({info['preference_pairs']:,} with a rejected alternative)")
    lines.append("roles       " + ", ".join(f"{k} {v:,}" for k, v in info["roles"].items()))
    lines.append("turns       " + ", ".join(f"{k}: {v:,}" for k, v in info["turns"].items()))
    lines += [f"warning     {w}" for w in info["warnings"]]
    for r in info["rejected_examples"]:
        where = ", ".join(x for x in (f"line {r['line']}" if r["line"] is not None else "",
                                      f"record {r['record']}", f"field '{r['field']}'" if r["field"] else "") if x)
        lines.append(f"rejected    {where}: {r['reason']}")
    if info["rejected"] > len(info["rejected_examples"]):
        lines.append(f"rejected    … and {info['rejected'] - len(info['rejected_examples']):,} more")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    reading = progress_callback("reading", unit=" records")
    try:
        result = load_dataset(args.file, format=args.format, on_error=args.on_error,
                              options=load_options(args), on_progress=reading)
    finally:
        reading.close()
    info = summary(result)
    if args.json and not args.no_metrics:
        from core.metrics.summary import compute_summary
        metrics_progress = progress_callback("metrics", show_message=True)
        try:
            info["metrics"] = compute_summary(result.dataset.table, args.tokenizer, on_progress=metrics_progress)
        finally:
            metrics_progress.close()
    print(orjson.dumps(info).decode() if args.json else render_text(info))
    return 0
