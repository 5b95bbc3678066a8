"""Toxicity: the profanity-check default, and Detoxify's real code path on a tiny BERT checkpoint."""

import numpy as np
import pytest

from core.errors import SieveConfigError
from core.schema import Dataset, message
from core.scoring import score_table
from core.steps import build_step
from core.toxicity import DETOXIFY_CHECKPOINT_FILES, available_scorers, torch_hub_checkpoint_dir
from tests.safety.tiny_detoxify import build_tiny_detoxify

ORIGINAL_CLASSES = ["toxicity", "severe_toxicity", "obscene", "threat", "insult", "identity_attack"]


@pytest.fixture(scope="module")
def dataset():
    return Dataset.from_records([
        {"id": "0", "messages": [message("user", "you are a fucking idiot and a bitch"),
                                 message("assistant", "I'm sorry you're upset. How can I help?")]},
        {"id": "1", "messages": [message("user", "What is the capital of France?"),
                                 message("assistant", "Paris is the capital of France.")]},
        {"id": "2", "messages": [message("assistant", "Hello! Ask me anything.")]},   # no prompt
    ])


@pytest.fixture(scope="module")
def tiny_detoxify(tmp_path_factory):
    return build_tiny_detoxify(tmp_path_factory.mktemp("detoxify"))


def test_profanity_check_scores_prompts_and_responses_and_names_itself(dataset):
    metric = build_step("metric", "toxicity")
    cols = score_table(dataset.table, [metric])
    prompt, response = cols["prompt_toxicity"].to_pylist(), cols["response_toxicity"].to_pylist()
    assert prompt[0] > 0.9 and prompt[1] < 0.2          # the insult vs the geography question
    assert prompt[2] is None                            # no prompt: null (kept by filters), not 0
    assert max(response) < 0.5                          # the polite answers
    assert set(cols) == {"prompt_toxicity", "response_toxicity", "toxicity_scorer"}
    assert cols["toxicity_scorer"].to_pylist() == ["profanity-check"] * 3
    for spec in metric.columns():
        assert "Detoxify" not in spec.description
        if spec.name.endswith("_toxicity"):
            assert "profanity-check" in spec.description and spec.better == "lower" and spec.range == (0.0, 1.0)


def test_roles_param_limits_the_columns(dataset):
    cols = score_table(dataset.table, [build_step("metric", "toxicity", {"roles": ["response"]})])
    assert set(cols) == {"response_toxicity", "toxicity_scorer"}


def test_detoxify_real_path_on_a_tiny_bert_checkpoint(dataset, tiny_detoxify):
    from detoxify import Detoxify

    checkpoint, config_dir = tiny_detoxify
    metric = build_step("metric", "toxicity", {"scorer": "detoxify-original", "checkpoint": str(checkpoint),
                                               "huggingface_config_path": str(config_dir), "batch_size": 2})
    cols = score_table(dataset.table, [metric])
    assert set(cols) == {f"{r}_{c}" for r in ("prompt", "response") for c in ORIGINAL_CLASSES} | {"toxicity_scorer"}
    assert cols["toxicity_scorer"].to_pylist() == ["detoxify-original"] * 3
    assert cols["prompt_insult"].to_pylist()[2] is None
    # Same numbers as calling Detoxify directly: our batching (sorted by length) changes nothing.
    direct = Detoxify(checkpoint=str(checkpoint), huggingface_config_path=str(config_dir))
    responses = dataset.texts("response")
    expected = direct.predict(responses)
    for cls in ORIGINAL_CLASSES:                        # Jigsaw names were standardized by Detoxify
        np.testing.assert_allclose(cols[f"response_{cls}"].to_numpy(), expected[cls], rtol=1e-4)
    assert "Detoxify original" in metric.columns()[0].description


def test_detoxify_truncates_texts_longer_than_the_model_takes(tiny_detoxify):
    checkpoint, config_dir = tiny_detoxify                  # the tiny model has 64 positions
    long_answer = " ".join(["the answer is nice ."] * 60)
    ds = Dataset.from_records([{"id": "0", "messages": [message("user", "hello"), message("assistant", long_answer)]}])
    metric = build_step("metric", "toxicity", {"scorer": "detoxify-original", "checkpoint": str(checkpoint),
                                               "huggingface_config_path": str(config_dir)})
    cols = score_table(ds.table, [metric])
    assert 0.0 < cols["response_toxicity"].to_pylist()[0] < 1.0


def test_detoxify_checkpoint_is_found_in_the_torch_hub_cache(dataset, tiny_detoxify, tmp_path, monkeypatch):
    import torch

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    assert torch_hub_checkpoint_dir() == tmp_path / "torch" / "hub" / "checkpoints"
    assert torch_hub_checkpoint_dir().parent == type(torch_hub_checkpoint_dir())(torch.hub.get_dir())
    assert available_scorers()["detoxify-original"] is not None
    torch_hub_checkpoint_dir().mkdir(parents=True)
    (torch_hub_checkpoint_dir() / DETOXIFY_CHECKPOINT_FILES["original"]).write_bytes(tiny_detoxify[0].read_bytes())
    assert available_scorers()["detoxify-original"] is None
    cols = score_table(dataset.table, [build_step("metric", "toxicity", {"scorer": "detoxify-original"})])
    assert len(cols["response_threat"]) == 3


def test_missing_detoxify_checkpoint_says_where_to_put_it_and_never_downloads(tmp_path, monkeypatch):
    import torch

    def no_downloads(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_downloads)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    metric = build_step("metric", "toxicity", {"scorer": "detoxify-unbiased"})
    with pytest.raises(SieveConfigError) as err:
        metric.setup()
    message_text = str(err.value)
    assert str(tmp_path / "hub" / "checkpoints" / "toxic_debiased-c7548aa0.ckpt") in message_text
    assert "never downloads" in message_text and "profanity_check" in message_text
    with pytest.raises(SieveConfigError, match="does not exist"):
        build_step("metric", "toxicity", {"scorer": "detoxify-original", "checkpoint": str(tmp_path / "x.ckpt")}).setup()


def test_checkpoint_file_names_match_detoxify_release_urls():
    from detoxify.detoxify import MODEL_URLS

    for variant, file_name in DETOXIFY_CHECKPOINT_FILES.items():
        assert MODEL_URLS[variant].rsplit("/", 1)[1] == file_name


class NotATensor:
    pass


def test_a_checkpoint_holding_arbitrary_objects_is_refused_before_unpickling(tmp_path):
    import torch

    path = tmp_path / "evil.ckpt"
    torch.save({"config": {}, "state_dict": {}, "payload": NotATensor()}, path)
    metric = build_step("metric", "toxicity", {"scorer": "detoxify-original", "checkpoint": str(path)})
    with pytest.raises(SieveConfigError, match="could run code"):
        metric.setup()


def test_unknown_scorer_is_a_config_error():
    with pytest.raises(SieveConfigError, match="scorer"):
        build_step("metric", "toxicity", {"scorer": "perspective"})


def test_a_checkpoint_that_does_not_fit_its_config_is_a_config_error(tiny_detoxify, tmp_path):
    import torch

    checkpoint, config_dir = tiny_detoxify
    broken = torch.load(checkpoint, weights_only=True)
    broken["state_dict"]["classifier.weight"] = torch.zeros(3, 3)   # wrong shape for 6 classes
    path = tmp_path / "broken.ckpt"
    torch.save(broken, path)
    metric = build_step("metric", "toxicity", {"scorer": "detoxify-original", "checkpoint": str(path),
                                               "huggingface_config_path": str(config_dir)})
    with pytest.raises(SieveConfigError, match="could not build Detoxify"):
        metric.setup()
