"""CLI sub-commands: one module each, exposing `add_parser(subparsers)`; see core/cli.py.

The options shared by every command that reads a dataset live here, not in a command module.
"""

from __future__ import annotations

import argparse

from core.detect import FORMATS


def add_load_arguments(parser: argparse.ArgumentParser) -> None:
    """--format, --on-error and --oasst-paths, shared by the commands that read a dataset."""
    parser.add_argument("--format", choices=FORMATS, help="skip detection and read the file as this format")
    parser.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                        help="raise: stop at the first bad record (exit 2); skip: carry on and report it")
    parser.add_argument("--oasst-paths", choices=("all", "best"), default="all",
                        help="OpenAssistant trees: every root-to-leaf path, or the best-ranked path only")


def load_options(args: argparse.Namespace) -> dict:
    """The load_dataset/iter_batches `options` those arguments set."""
    return {"oasst_paths": args.oasst_paths}
