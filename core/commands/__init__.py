"""CLI sub-commands: one module each, exposing `add_parser(subparsers)`; see core/cli.py."""
