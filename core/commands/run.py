"""`python -m core run RECIPE --input IN --output OUT`: run a cleaning recipe, streaming in batches."""

from __future__ import annotations

import argparse
import importlib
import json
import sys

from core.detect import FORMATS
from core.recipe import Recipe
from core.writers import TARGETS

# engine name -> "module:function(recipe, steps, input, output, **options) -> summary dict".
# The Ray engine registers itself here (with its extra --address option).
ENGINES = {"local": "core.engine.local:run_files", "ray": "core.engine.ray:run_files"}


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("run", help="Run a cleaning recipe (YAML) over a dataset",
                                   description=__doc__)
    parser.add_argument("recipe", help="recipe YAML (written by the Clean & Export page or by hand)")
    parser.add_argument("--input", required=True, help="input dataset (json/jsonl/csv/parquet, .gz/.zst)")
    parser.add_argument("--output", required=True, help="cleaned dataset; with a split, NAME.train.EXT and NAME.validation.EXT")
    parser.add_argument("--rejected", help="JSONL of dropped rows, each with its step and reason")
    parser.add_argument("--ledger", help="the drop ledger as Parquet (.parquet) or JSONL")
    parser.add_argument("--format", choices=TARGETS, help="output format (default: the recipe's export format)")
    parser.add_argument("--input-format", choices=FORMATS, help="input format if detection should be overridden")
    parser.add_argument("--engine", choices=sorted(ENGINES), default="local", help="execution engine")
    parser.add_argument("--address", help="Ray engine: address of an existing Ray cluster (default: start a "
                        "local Ray for this run); outputs are then directories of shards, see docs/scale-out.md")
    parser.add_argument("--batch-size", type=int, default=4096, help="rows per batch")
    parser.add_argument("--allow-plugins", action="store_true",
                        help="allow 'plugin' steps, which import and run Python code named in the recipe")
    parser.add_argument("--json", action="store_true", help="print one JSON summary object")
    parser.set_defaults(func=run)


def engine_options(args: argparse.Namespace) -> dict:
    """Options every engine takes; an engine with more (e.g. Ray's address) reads them from args."""
    return {"rejected_path": args.rejected, "ledger_path": args.ledger, "output_format": args.format,
            "input_format": args.input_format, "batch_size": args.batch_size}


def run(args: argparse.Namespace) -> int:
    recipe = Recipe.load(args.recipe, allow_plugins=args.allow_plugins)
    steps = recipe.build_steps(allow_plugins=args.allow_plugins)
    module_name, func_name = ENGINES[args.engine].split(":")
    engine = getattr(importlib.import_module(module_name), func_name)
    options = engine_options(args)
    if getattr(args, "address", None):
        if args.engine != "ray":
            from core.errors import SieveConfigError
            raise SieveConfigError("--address names a Ray cluster: use it with --engine ray")
        options["address"] = args.address
    summary = engine(recipe, steps, args.input, args.output, **options)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(format_summary(summary), file=sys.stdout)
    return 0


def format_summary(summary: dict) -> str:
    lines = [f"{summary['input_rows']:,} rows in, {summary['kept_rows']:,} kept, "
             f"{summary['dropped_rows']:,} dropped ({summary.get('seconds', 0):.1f} s, {summary.get('engine', '')})"]
    lines += [f"  {count:>9,}  {reason}" for reason, count in summary["by_reason"].items()]
    lines += [f"wrote {o['rows']:,} rows to {o['path']}" for o in summary.get("outputs", [])]
    if summary.get("rejected_file"):
        lines.append(f"rejected rows with reasons: {summary['rejected_file']}")
    return "\n".join(lines)
