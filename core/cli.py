"""`python -m core …`: one sub-command per module in core/commands/.

Exit codes: 0 ok, 2 bad input (a message naming file, line and field), 1 internal error.
Set SIEVE_DEBUG=1 to see the traceback of an internal error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

import core.commands
from core.errors import SieveError

EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core",
                                     description="Sieve: inspect, clean, deduplicate and convert fine-tuning datasets.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    # Each command module exposes add_parser(subparsers) and sets a `func(args) -> int` default.
    for info in sorted(pkgutil.iter_modules(core.commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"core.commands.{info.name}")
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("YDATA_PROFILING_NO_ANALYTICS", "1")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SieveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # an internal error: say so plainly, traceback only on request
        if os.environ.get("SIEVE_DEBUG"):
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (set SIEVE_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return EXIT_INTERNAL
