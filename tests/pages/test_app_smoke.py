"""Every page in app.py's navigation renders on the bundled sample without an exception."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]
PAGES = re.findall(r'st\.Page\("(pages/\w+\.py)"', (ROOT / "app.py").read_text(encoding="utf-8"))
SLOW_PAGES = {"pages/topics.py", "pages/profile.py", "pages/safety.py"}  # real embeddings / profiling: 10-20 s each


def test_navigation_lists_every_page_file():
    assert len(PAGES) >= 10 and "pages/load.py" in PAGES
    assert sorted(PAGES) == sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


@pytest.mark.parametrize("page", [pytest.param(p, marks=pytest.mark.slow) if p in SLOW_PAGES else p for p in PAGES])
def test_page_renders_on_the_sample(page):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180).run()
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
