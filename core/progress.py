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


def progress_callback(desc: str, *, unit: str = " rows", show_message: bool = False) -> ProgressCallback:
    """A ProgressCallback drawing a bar (quiet off a terminal); call its `.close()` when done.

    The total may change as it arrives (an estimate until the end, see core.load._estimate_records);
    with `show_message` the bar's description follows the callback's message (e.g. the metric running).
    """
    bar = progress(None, desc=desc, unit=unit)

    def update(done: int, total: int | None, message: str) -> None:
        if total and bar.total != total:
            bar.total = total
        if show_message and message:
            bar.set_description(message, refresh=False)
        bar.update(done - bar.n)
    update.close = bar.close  # type: ignore[attr-defined]
    return update
