"""`python -m core convert IN OUT --to openai|sharegpt|alpaca|parquet`: stream, convert, report."""

from __future__ import annotations

import argparse
import sys

from core.commands import add_load_arguments, load_options
from core.load import RejectsFile, iter_batches
from core.progress import progress
from core.writers import TARGETS, write_dataset


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("convert", help="Convert a dataset to OpenAI, ShareGPT, Alpaca or Parquet",
                                   description="Read any supported file and write it in another format. Prints "
                                               "read/rejected counts and what the target could not hold.")
    parser.add_argument("input", help="input file (.json, .jsonl, .csv, .parquet, optionally .gz/.zst)")
    parser.add_argument("output", help="output file: .jsonl or .json for JSON targets, .parquet for parquet; "
                                       ".gz/.zst to compress")
    parser.add_argument("--to", choices=TARGETS, default="openai", help="target format (default: openai)")
    add_load_arguments(parser)
    parser.add_argument("--rejected", metavar="REJECTS.jsonl",
                        help="where skipped records go with their reasons (default: OUTPUT.rejected.jsonl)")
    parser.set_defaults(func=run)


def _counted(tables, bar):
    for table in tables:
        bar.update(table.num_rows)
        yield table


def run(args: argparse.Namespace) -> int:
    rejects_path = args.rejected or f"{args.output}.rejected.jsonl"
    with RejectsFile(rejects_path) as rejects:  # streamed, so a file of bad rows never sits in memory
        reader = iter_batches(args.input, format=args.format, on_error=args.on_error, options=load_options(args),
                              on_reject=rejects.write)
        bar = progress(None, desc=f"converting to {args.to}", unit=" rows")
        try:
            written = write_dataset(_counted(reader, bar), args.output, to=args.to)
        finally:
            bar.close()
    report = reader.report
    print(f"format: {reader.detection.format} (confidence {reader.detection.confidence:.2f})")
    print(f"read {report.input_records:,} records: {report.loaded:,} loaded + {len(report.rejected):,} rejected")
    print(f"wrote {written.rows:,} conversations to {args.output} ({args.to})")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for loss in written.losses:
        print(f"loss: {loss}")
    if rejects.count:
        print(f"rejected records and their reasons: {rejects_path}", file=sys.stderr)
    return 0
