import pytest

from tests.synth.fake_openai import FakeOpenAI


@pytest.fixture
def fake_server():
    """A fresh scripted OpenAI-compatible server on 127.0.0.1 (random free port) per test."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
