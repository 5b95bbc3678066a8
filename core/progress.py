"""Progress bars that are quiet when stderr is not a terminal (CI, pipes, the dashboard)."""

from __future__ import annotations

import sys
from typing import Callable, Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
# A callback the dashboard passes in: (done, total or None, message).
ProgressCallback = Callable[[int, int | None, str], None]


def progress(items: Iterable[T], *, total: int | None = None, desc: str = "", unit: str = "it",
             disable: bool | None = None) -> Iterable[T]:
    if disable is None:
        disable = not sys.stderr.isatty()
    return tqdm(items, total=total, desc=desc, unit=unit, disable=disable, dynamic_ncols=True)
