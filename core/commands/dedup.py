"""`python -m core dedup FILE --method exact|minhash|embedding …`: find duplicate clusters.

Prints a summary (rows, clusters, duplicates that would be dropped) and, with --output, writes one
JSON line per dropped row: id, cluster, kept_id, similarity, method. With --reference EVAL_FILE it
decontaminates instead: rows matching any row of the eval file are the ones dropped, and their
kept_id is `reference:<eval row id>`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from core.commands import add_load_arguments, load_options
from core.errors import SieveConfigError, SieveInputError

METHODS = ("exact", "minhash", "embedding")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("dedup", help="Find exact and near-duplicate rows (or eval-set leaks)",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="input dataset (json/jsonl/csv/parquet, .gz/.zst)")
    add_load_arguments(parser)
    parser.add_argument("--method", choices=METHODS, default="minhash", help="dedup method (default: minhash)")
    parser.add_argument("--threshold", type=float,
                        help="similarity from which rows are duplicates: Jaccard for minhash (default 0.7), "
                             "cosine for embedding (default 0.9); not used by exact")
    parser.add_argument("--fields", choices=("instruction", "prompt", "conversation"), default="instruction",
                        help="text compared: first user turn, all user turns, or the whole conversation")
    parser.add_argument("--keep", choices=("first", "longest", "best_score"), default="first",
                        help="which row of a cluster survives (default: first)")
    parser.add_argument("--score-column", help="metric column maximized by --keep best_score")
    parser.add_argument("--num-perm", type=int, help="minhash: permutations (default 128)")
    parser.add_argument("--ngram", type=int, help="minhash: words per shingle (default 3)")
    parser.add_argument("--model", help="embedding: static (default), minilm, or a local model folder")
    parser.add_argument("--index", choices=("auto", "exact", "hnsw"),
                        help="embedding: neighbour search, exact or approximate HNSW (default auto: HNSW "
                             "from 50,000 rows)")
    parser.add_argument("--reference", metavar="EVAL_FILE",
                        help="decontaminate: drop rows that are near-duplicates of any row of EVAL_FILE")
    parser.add_argument("--output", metavar="CLUSTERS.jsonl", help="write one line per dropped row")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.set_defaults(func=run)


def step_params(args: argparse.Namespace) -> dict:
    params: dict = {"fields": args.fields, "keep": args.keep}
    if args.score_column:
        params["score_column"] = args.score_column
    if args.reference:
        if not Path(args.reference).exists():
            raise SieveInputError("reference file not found", file=args.reference)
        params["reference"] = args.reference
    options = {"threshold": args.threshold, "num_perm": args.num_perm, "ngram": args.ngram, "model": args.model,
               "index": args.index}
    allowed = {"exact": set(), "minhash": {"threshold", "num_perm", "ngram"},
               "embedding": {"threshold", "model", "index"}}
    for name, value in options.items():
        if value is None:
            continue
        if name not in allowed[args.method]:
            raise SieveConfigError(f"--{name.replace('_', '-')} does not apply to --method {args.method}")
        params[name] = value
    return params


def with_score_column(table, column: str):
    """`table` plus `column` computed by the registered metric that produces it, if it is missing."""
    if column in table.column_names:
        return table
    from core.dedup.keep import score_metrics
    from core.scoring import score_table

    metric = score_metrics().get(column)
    if metric is not None:
        return table.append_column(column, score_table(table, [metric])[column])
    raise SieveConfigError(f"--score-column {column}: no such column and no metric computes it "
                           "(see `python -m core score --list`)")


def summarize(result, rows: int, step, seconds: float) -> dict:
    import pyarrow.compute as pc

    ledger = result.ledger
    clusters = result.clusters
    sizes = pc.value_counts(clusters.column("cluster")).field("counts").to_pylist() if clusters.num_rows else []
    summary = {"file": None, "method": step.name, "rows": rows,
               "clusters": len(sizes), "duplicates": ledger.num_rows, "kept": rows - ledger.num_rows,
               "largest_cluster": max(sizes, default=0), "fields": step.fields, "keep": step.keep,
               "threshold": getattr(step, "threshold", None), "reference": step.reference,
               "seconds": round(seconds, 3)}
    if step.name == "embedding" and not step.reference:
        from core.dedup.embedding import chosen_index
        summary["index"] = chosen_index(step.index, rows)
    if step.name == "minhash":
        summary["bands"], summary["rows_per_band"] = step.bands()
    if step.reference:
        summary["clusters"] = len(set(ledger.column("kept_id").to_pylist()))  # eval items that leaked
        summary["largest_cluster"] = None
    return summary


def run(args: argparse.Namespace) -> int:
    from core.dedup.runner import deduplicate
    from core.steps import build_step
    from core.writers import write_table

    from core.load import load_dataset

    step = build_step("dedup", args.method, step_params(args))
    started = time.perf_counter()
    table = load_dataset(args.file, format=args.format, on_error=args.on_error,
                         options=load_options(args)).dataset.table
    if step.keep == "best_score":
        table = with_score_column(table, step.score_column)
    result = deduplicate(table, step)
    summary = summarize(result, table.num_rows, step, time.perf_counter() - started)
    summary["file"] = args.file
    if args.output:
        write_table(result.ledger.select(["id", "cluster", "kept_id", "similarity", "method"]), args.output)
        summary["output"] = args.output
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print_summary(summary, result)
    return 0


def print_summary(summary: dict, result) -> None:
    what = "rows leak from the reference" if summary["reference"] else "duplicates would be dropped"
    print(f"{summary['file']}: {summary['rows']:,} rows, {summary['clusters']:,} clusters, "
          f"{summary['duplicates']:,} {what} ({summary['method']}, {summary['seconds']:.1f} s)")
    ledger = result.ledger.slice(0, 10).to_pylist()
    for row in ledger:
        print(f"  {row['id']} -> {row['kept_id']}  similarity {row['similarity']:.3f}  cluster {row['cluster']}")
    if result.ledger.num_rows > len(ledger):
        print(f"  … {result.ledger.num_rows - len(ledger):,} more (write them all with --output)", file=sys.stderr)
