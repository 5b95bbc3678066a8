"""The embedding provider: real loading code on tiny local models; the shipped models once each."""

from __future__ import annotations

import json

import numpy as np
import pytest

from core import embeddings
from core.embeddings import embed, folder_kind, load_embedder
from core.errors import SieveInputError
from tests.tiny_models import build_tiny_bert, build_tiny_static

TEXTS = ["how to bake bread", "python code loop", "", "football match score", "how to bake bread"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="module")
def tiny_static(tmp_path_factory, tiny_bert):
    return build_tiny_static(tmp_path_factory.mktemp("m2v") / "static", tiny_bert)


@pytest.fixture(autouse=True)
def fresh_embedders():
    load_embedder.cache_clear()
    yield
    load_embedder.cache_clear()


def assert_unit_rows(vectors: np.ndarray, zero_rows=()):
    norms = np.linalg.norm(vectors, axis=1)
    for i, norm in enumerate(norms):
        assert norm == pytest.approx(0.0 if i in zero_rows else 1.0, abs=1e-5), i


def test_local_transformer_folder_is_detected_and_embeds_normalized(tiny_bert):
    assert folder_kind(tiny_bert) == "sentence-transformers"
    vectors = embed(TEXTS, str(tiny_bert))
    assert vectors.dtype == np.float32 and vectors.shape == (5, 32)
    assert_unit_rows(vectors)
    np.testing.assert_allclose(vectors[0], vectors[4], atol=1e-6)  # same text, same vector
    assert float(vectors[0] @ vectors[1]) < 0.9999


def test_distilled_static_folder_is_detected_and_empty_text_is_a_zero_row(tiny_static):
    assert json.loads((tiny_static / "config.json").read_text())["model_type"] == "model2vec"
    assert folder_kind(tiny_static) == "model2vec"
    vectors = embed(TEXTS, str(tiny_static))
    assert vectors.dtype == np.float32 and vectors.shape == (5, 8)
    assert_unit_rows(vectors, zero_rows={2})
    np.testing.assert_array_equal(vectors[0], vectors[4])


def test_static_model_is_distilled_once_into_the_cache_dir(tmp_path, tiny_bert, monkeypatch):
    monkeypatch.setenv("SIEVE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(embeddings, "minilm_path", lambda: tiny_bert)
    calls = []
    real_distill = embeddings.distill_static_model  # 8 dims: the real 256 needs a real vocabulary
    monkeypatch.setattr(embeddings, "distill_static_model",
                        lambda src, dst: calls.append(dst) or real_distill(src, dst, pca_dims=8))
    assert not embeddings.is_ready("static")
    messages = []
    first = embed(TEXTS[:2], "static", on_progress=lambda done, total, msg: messages.append((done, total, msg)))
    assert embeddings.is_ready("static")
    assert calls == [tmp_path / "cache" / "models" / "minilm-static-256"]
    assert messages[0][2].startswith("Building the static embedding model")
    assert messages[-1][:2] == (2, 2)
    load_embedder.cache_clear()
    second = embed(TEXTS[:2], "static")  # from disk now, no second distillation
    assert len(calls) == 1
    np.testing.assert_allclose(first, second)
    assert not list((tmp_path / "cache" / "models").glob(".*"))  # no scratch folder left behind


def test_progress_reports_every_chunk_up_to_the_total(tiny_bert):
    seen = []
    embed(["bread"] * 10, str(tiny_bert), batch_size=2, on_progress=lambda d, t, m: seen.append((d, t)))
    assert seen == [(8, 10), (10, 10)]


def test_empty_input_gives_zero_rows_of_the_model_width(tiny_static):
    assert embed([], str(tiny_static)).shape == (0, 8)


def test_unknown_model_names_the_field(tmp_path):
    with pytest.raises(SieveInputError, match="field 'model'.*static, minilm or a local model folder"):
        embed(["x"], "mini-lm")
    (tmp_path / "notes.txt").write_text("not a model")
    with pytest.raises(SieveInputError, match="not a model folder"):
        embed(["x"], str(tmp_path))


def test_embedder_is_cached_per_process(tiny_static):
    assert load_embedder(str(tiny_static)) is load_embedder(str(tiny_static))


def test_shipped_minilm_ranks_a_paraphrase_above_an_unrelated_sentence():
    a, b, c = embed(["How do I bake sourdough bread at home?",
                     "What is the way to make sourdough loaves in my kitchen?",
                     "The football team scored twice in the second half."], "minilm")
    assert a.shape == (384,)
    assert float(a @ b) > 0.6 > float(a @ c) + 0.3


def test_opening_the_module_imports_no_model_library():
    import subprocess
    import sys

    code = ("import sys, core.embeddings; heavy = [m for m in ('torch', 'sentence_transformers', 'model2vec',"
            " 'transformers') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(embeddings.Path(embeddings.__file__).parent.parent))
    assert out.stdout.strip() == "[]"


def test_static_or_transformer_is_told_from_the_folder(tiny_bert, tiny_static, tmp_path):
    assert embeddings.is_static("static") and not embeddings.is_static("minilm")
    assert embeddings.is_static(str(tiny_static)) and not embeddings.is_static(str(tiny_bert))
    assert embeddings.is_static(str(tmp_path))  # not a model: loading fails fast with a message


def test_a_broken_model_folder_is_a_message_naming_it(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "model2vec"}))  # no weights, no tokenizer
    with pytest.raises(SieveInputError, match=f"{tmp_path}.*field 'model': cannot load this model2vec model"):
        embed(["x"], str(tmp_path))
