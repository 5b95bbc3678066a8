"""Build a tiny Detoxify-shaped BERT checkpoint (random weights) so the real Detoxify path runs in tests."""

from __future__ import annotations

from pathlib import Path

JIGSAW_CLASSES = ["toxic", "severe_toxic", "obscene", "threat", "insult", "identity_hate"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "you", "are", "a", "nice", "idiot", "thanks",
         "hello", "world", "the", "answer", "is", ".", ",", "!", "?"]


def build_tiny_detoxify(tmp_path: Path) -> tuple[Path, Path]:
    """(checkpoint path, HF config folder) in the shape detoxify.load_checkpoint expects."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizer

    folder = tmp_path / "tiny-bert"
    folder.mkdir()
    (folder / "vocab.txt").write_text("\n".join(VOCAB) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    config = BertConfig(vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64, num_labels=len(JIGSAW_CLASSES))
    config.save_pretrained(folder)
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    checkpoint = tmp_path / "tiny_detoxify.ckpt"
    torch.save({
        "config": {
            # model_type is the local folder, so Detoxify's from_pretrained(model_type) stays offline.
            "arch": {"args": {"model_type": str(folder), "model_name": "BertForSequenceClassification",
                              "tokenizer_name": "BertTokenizer", "num_classes": len(JIGSAW_CLASSES)}},
            "dataset": {"args": {"classes": JIGSAW_CLASSES}},
        },
        "state_dict": model.state_dict(),
    }, checkpoint)
    return checkpoint, folder
