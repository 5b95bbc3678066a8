from tests.synth.fake_openai import fake_server  # noqa: F401  (fixture)
