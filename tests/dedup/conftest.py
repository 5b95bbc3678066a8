import pytest

from tests.dedup.near_duplicates import bag_of_words_embed


@pytest.fixture
def tiny_embedder(monkeypatch):
    """Swap the embedding provider for a hashed bag-of-words model (fast, deterministic)."""
    monkeypatch.setattr("core.dedup.embedding.embed_texts", bag_of_words_embed)
    return bag_of_words_embed
