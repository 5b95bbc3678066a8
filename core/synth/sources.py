"""Reading what a synthesis run starts from: seed-task files and existing datasets."""

from __future__ import annotations

from pathlib import Path

import orjson

from core.errors import SieveInputError
from core.schema import Dataset


def read_seed_file(path: str | Path) -> list[str]:
    """One seed task per non-empty line."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SieveInputError("seed file not found", file=str(path)) from None
    return [line.strip() for line in text.splitlines() if line.strip()]


def load_dataset_file(path: str | Path) -> Dataset:
    """Any dataset file the loaders understand; canonical JSONL (synth output) until they land."""
    try:
        from core.load import load_dataset
    except ImportError:
        return _read_canonical_jsonl(Path(path))
    return load_dataset(str(path)).dataset


def _read_canonical_jsonl(path: Path) -> Dataset:
    if not path.exists():
        raise SieveInputError("file not found", file=str(path))
    records = []
    with open(path, "rb") as fh:
        for number, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                raise SieveInputError(f"not valid JSON ({exc})", file=str(path), line=number) from None
            if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
                raise SieveInputError("expected an object with a 'messages' list", file=str(path),
                                      line=number, field="messages")
            record.setdefault("id", str(number - 1))
            records.append(record)
    return Dataset.from_records(records, name=path.name)
