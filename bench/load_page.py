"""Load page responsiveness: upload → loaded, a page turn, a text search, on a generated upload.

    .venv/bin/python bench/load_page.py [--rows 100000]

Drives pages/load.py headless with streamlit's AppTest (the uploader gets the bytes in memory,
as in the browser), so the figures are the page's own work: read + detect + convert on upload,
then one rerun per interaction. Prints seconds per step and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bench.load import conversation  # noqa: E402  (same generated conversations as bench/load.py)


def timed(label: str, action) -> None:
    start = time.perf_counter()
    at = action()
    assert not at.exception, [e.value for e in at.exception]
    print(f"{label:<28} {time.perf_counter() - start:6.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from streamlit.testing.v1 import AppTest

    data = b"".join(orjson.dumps(conversation(i)) + b"\n" for i in range(args.rows))
    print(f"upload: {args.rows:,} OpenAI conversations, {len(data) / 1e6:.1f} MB JSONL")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
    timed("open (sample)", at.run)
    at.radio(key="load.source").set_value("Upload a file").run()
    timed("upload -> loaded", lambda: at.file_uploader(key="load.file").set_value(("bench.jsonl", data, "application/json")).run())
    loaded = {m.label: m.value for m in at.metric}
    print(f"{'':<28} loaded {loaded.get('Loaded')} of {loaded.get('Input records')}, rejected {loaded.get('Rejected')}")
    timed("turn to the last page", lambda: at.number_input(key="load.page").set_value(args.rows // 10).run())
    timed("search text", lambda: at.text_input(key="load.search").set_value(f"{args.rows - 1}.1 ").run())
    print(f"{'':<28} {[c.value for c in at.caption if c.value.startswith('Showing')][0]}")
    print(f"peak RSS                     {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:6.0f} MB")


if __name__ == "__main__":
    main()
