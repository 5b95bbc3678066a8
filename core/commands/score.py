"""`python -m core score FILE --metrics NAME[,NAME…] --output OUT.(jsonl|parquet)`: one row per conversation.

Each output row holds the conversation `id` and one column per metric value. `--list` names every
registered metric (every module in core/metrics/, safety and refusal included) with its
description, parameters and columns.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core.commands import add_load_arguments, load_options
from core.errors import SieveConfigError
from core.writers import check_table_path, write_table

DEFAULT_METRICS = ("text_length", "token_length", "entropy", "validity", "language")


def add_parser(subparsers) -> None:
    parser = subparsers.add_parser("score", help="Compute metrics, one output row per conversation",
                                   description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="?", help="input dataset (json/jsonl/csv/parquet, .gz/.zst)")
    parser.add_argument("--metrics", default=",".join(DEFAULT_METRICS),
                        help=f"comma-separated metric names (default: {','.join(DEFAULT_METRICS)}); see --list")
    parser.add_argument("--set", action="append", default=[], metavar="METRIC.PARAM=VALUE", dest="params",
                        help="a metric parameter, e.g. token_length.tokenizer=cl100k (repeatable; VALUE is YAML)")
    add_load_arguments(parser)
    parser.add_argument("--output", help="OUT.jsonl or OUT.parquet")
    parser.add_argument("--batch-size", type=int, default=4096, help="rows per batch")
    parser.add_argument("--list", action="store_true", help="list the registered metrics and exit")
    parser.add_argument("--json", action="store_true", help="with --list: print JSON")
    parser.set_defaults(func=run)


def metric_catalog() -> list[dict]:
    """Every registered metric: name, title, description, parameters and (default) columns."""
    from core.steps import list_steps

    catalog = []
    for cls in list_steps("metric"):
        entry = {"name": cls.name, "title": cls.title, "description": cls.description,
                 "parameters": {k: f.description or "" for k, f in cls.model_fields.items()}}
        try:
            entry["columns"] = [{"name": c.name, "dtype": c.dtype, "unit": c.unit, "description": c.description}
                                for c in cls().columns()]
        except Exception:  # a metric with required parameters: its columns depend on them
            entry["columns"] = []
        catalog.append(entry)
    return catalog


def parse_params(assignments: list[str], metric_names: list[str]) -> dict[str, dict]:
    """`["token_length.tokenizer=cl100k"]` -> {"token_length": {"tokenizer": "cl100k"}}."""
    import yaml

    params: dict[str, dict] = {name: {} for name in metric_names}
    for text in assignments:
        key, sep, value = text.partition("=")
        metric, dot, param = key.strip().partition(".")
        if not sep or not dot or not param:
            raise SieveConfigError(f"--set {text!r}: expected METRIC.PARAM=VALUE")
        if metric not in params:
            raise SieveConfigError(f"--set {text!r}: metric '{metric}' is not in --metrics")
        try:
            params[metric][param] = yaml.safe_load(value)
        except yaml.YAMLError:
            params[metric][param] = value
    return params


def build_metrics(names_csv: str, assignments: list[str]):
    from core.steps import build_step

    names = [n.strip() for n in names_csv.split(",") if n.strip()]
    if not names:
        raise SieveConfigError("--metrics is empty; see `python -m core score --list`")
    if len(set(names)) != len(names):
        raise SieveConfigError(f"--metrics names a metric twice: {names_csv}")
    params = parse_params(assignments, names)
    return [build_step("metric", name, params[name]) for name in names]


def run(args: argparse.Namespace) -> int:
    if args.list:
        print_catalog(metric_catalog(), as_json=args.json)
        return 0
    if not args.file or not args.output:
        raise SieveConfigError("score needs FILE and --output (or --list)")
    output = check_table_path(Path(args.output))
    metrics = build_metrics(args.metrics, args.params)

    import pyarrow as pa

    from core.load import load_dataset
    from core.progress import progress_callback
    from core.scoring import score_table

    result = load_dataset(args.file, format=args.format, on_error=args.on_error, options=load_options(args))
    dataset = result.dataset
    if result.report.rejected:
        print(f"{len(result.report.rejected):,} records could not be read and are not scored "
              "(see `python -m core inspect FILE`)", file=sys.stderr)
    report = progress_callback("scoring", show_message=True)
    try:
        columns = score_table(dataset.table, metrics, batch_size=args.batch_size, on_progress=report)
    finally:
        report.close()
    table = pa.table({"id": dataset.table.column("id"), **columns})
    write_table(table, output)
    print(f"scored {dataset.num_rows:,} rows with {', '.join(m.name for m in metrics)}: "
          f"{len(columns)} columns -> {output}", file=sys.stderr)
    return 0


def print_catalog(catalog: list[dict], as_json: bool) -> None:
    if as_json:
        print(json.dumps(catalog, ensure_ascii=False, indent=2))
        return
    for entry in catalog:
        print(f"{entry['name']}: {entry['description']}")
        for param, description in entry["parameters"].items():
            print(f"    --set {entry['name']}.{param}=…  {description}")
        for column in entry["columns"]:
            unit = f" [{column['unit']}]" if column["unit"] else ""
            print(f"    {column['name']} ({column['dtype']}{unit}): {column['description']}")
        print()
