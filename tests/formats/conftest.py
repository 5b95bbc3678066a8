import pytest

from core.load import load_dataset


def msg(role, content, name=None, tool_calls=None):
    return {"role": role, "content": content, "name": name, "tool_calls": tool_calls}


@pytest.fixture
def formats_dir(fixtures_dir):
    return fixtures_dir / "formats"


@pytest.fixture
def load(formats_dir):
    """Load a fixture by file name and return its canonical records."""
    def _load(name, **kwargs):
        return load_dataset(formats_dir / name, **kwargs).dataset.records()
    return _load
