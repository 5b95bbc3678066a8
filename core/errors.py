"""Errors a person can act on. The CLI prints them without a traceback; the UI shows st.error."""

from __future__ import annotations


class SieveError(Exception):
    """Base class for every error Sieve raises on purpose."""


class SieveInputError(SieveError):
    """Bad user input: names the file, the line (or record number) and the field where known."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 record: int | None = None, field: str | None = None):
        self.file, self.line, self.record, self.field = file, line, record, field
        self.reason = message
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.record is not None:
            where.append(f"record {self.record}")
        if self.field:
            where.append(f"field '{self.field}'")
        return f"{', '.join(where)}: {self.reason}" if where else self.reason


class SieveConfigError(SieveError):
    """A recipe, synthesis config or step parameter that does not validate."""
