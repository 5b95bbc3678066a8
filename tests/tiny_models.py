"""Tiny local embedding models built in a test (seconds, no download) to exercise the real loading code."""

from __future__ import annotations

from pathlib import Path

WORDS = ("the a of and to is in how what write explain recipe bake bread flour oven cake sugar "
         "football goal match team score player python code function loop list error bug "
         "travel city hotel flight beach summer poem love night moon star").split()


def build_tiny_bert(folder: Path, hidden: int = 32, words: tuple[str, ...] = WORDS) -> Path:
    """A 1-layer BERT over a small word vocabulary, saved as a plain Hugging Face folder (random weights)."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *dict.fromkeys(words)]
    BertTokenizer(vocab={token: i for i, token in enumerate(vocab)}).save_pretrained(str(folder))
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=2 * hidden, max_position_embeddings=128)
    BertModel(config).save_pretrained(str(folder))
    return folder


def build_tiny_static(folder: Path, bert_folder: Path, dims: int = 8) -> Path:
    """A model2vec static model distilled from a tiny BERT folder (the real distillation code)."""
    from core.embeddings import distill_static_model

    return distill_static_model(bert_folder, folder, pca_dims=dims)
