"""One real-browser flow: upload a file -> move a filter on Clean & Export -> download the cleaned file.

Debian's Chromium driven by Playwright against the dashboard as `make run` starts it (`python -m ui.serve`) on 127.0.0.1 (a free port).
Skips cleanly when chromium or playwright is missing (`make system-deps` installs chromium).
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from core.load import load_dataset

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
UPLOAD = ROOT / "tests" / "fixtures" / "clean_export" / "chat.jsonl"   # 12 rows + 1 broken line
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    if not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api")
    port = free_port()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "YDATA_PROFILING_NO_ANALYTICS": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "ui.serve", "--server.address", "127.0.0.1",
                             "--server.port", str(port), "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.terminate()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def metric(page, label: str) -> int:
    box = page.locator('[data-testid="stMetric"]', has_text=label).first
    return int(box.locator('[data-testid="stMetricValue"]').inner_text().replace(",", ""))


def test_upload_filter_download(server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        # a fresh user-data-dir per run (Playwright passes it as --user-data-dir)
        context = pw.chromium.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                        headless=True, args=FLAGS, accept_downloads=True)
        try:
            page = context.new_page()
            page.set_default_timeout(90_000)
            page.goto(server)
            page.get_by_test_id("stRadioGroup").get_by_text("Upload a file", exact=True).click()
            page.locator('input[type="file"]').set_input_files(str(UPLOAD))
            expect(page.locator('[data-testid="stMetric"]', has_text="Loaded").first).to_contain_text("12", timeout=90_000)

            page.get_by_role("link", name="Clean & Export").click()
            expect(page.get_by_text("Refusal score at most")).to_be_visible(timeout=120_000)
            assert metric(page, "Kept rows") == 12
            thumb = page.locator('[data-testid="stSlider"]', has_text="Refusal score at most").get_by_role("slider").first
            thumb.focus()
            # One key press (1.00 -> 0.00): dozens of arrow presses race the reruns and some get lost.
            page.keyboard.press("Home")
            expect(page.locator('[data-testid="stMetric"]', has_text="Kept rows").first).to_contain_text("9", timeout=60_000)

            page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=60_000)
            with page.expect_download() as download_info:
                page.get_by_role("button", name=re.compile("Cleaned data")).first.click()
            path = tmp_path / "chat.clean.jsonl"
            download_info.value.save_as(path)
        finally:
            context.close()
    ids = load_dataset(path).dataset.ids
    # the three planted refusals (c02, c04, c12) are gone, everything else is there in input order
    assert ids == ["c01", "c03", "c05", "c06", "c07", "c08", "c09", "c10", "c11"]
