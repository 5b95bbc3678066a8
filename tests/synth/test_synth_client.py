"""The chat client against a real HTTP server: retries, failures with reasons, cache, key hygiene."""

import random

import pytest

from core.synth.cache import RequestCache, request_key
from core.synth.client import ChatClient, SynthConnectionError, resolve_api_key
from core.synth.config import Endpoint
from core.errors import SieveConfigError

KEY = "sk-test-4f9a1c7e-never-on-disk"
HELLO = [{"role": "user", "content": "Say hello."}]


def endpoint(url: str, **overrides) -> Endpoint:
    settings = {"base_url": url, "model": "fake-small", "api_key_env": None, "timeout_s": 0.5,
                "max_retries": 3, "backoff_base_s": 0.001, "backoff_max_s": 0.01}
    return Endpoint(**{**settings, **overrides})


def test_429_and_500_are_retried_and_counted(fake_server):
    fake_server.fail_next("429", "500")
    client = ChatClient(endpoint(fake_server.url), api_key=KEY)
    result = client.chat(HELLO)
    assert result.ok and result.attempts == 3
    assert len(fake_server.chat_requests) == 3
    assert client.usage.requests_sent == 3 and client.usage.retries == 2


def test_timeouts_give_up_after_max_retries_with_a_transient_reason(fake_server):
    fake_server.fail_next("timeout", "timeout")
    client = ChatClient(endpoint(fake_server.url, max_retries=1), api_key=KEY)
    result = client.chat(HELLO)
    assert not result.ok and result.transient
    assert result.reason == "timeout: gave up after 2 attempts (timeout: no answer within 0.5s)"
    assert len(fake_server.chat_requests) == 2
    assert client.usage.failures == {"timeout": 1}


def test_malformed_and_empty_answers_are_failures_not_retried(fake_server):
    fake_server.fail_next("malformed", "empty")
    client = ChatClient(endpoint(fake_server.url), api_key=KEY)
    malformed = client.chat(HELLO)
    empty = client.chat(HELLO, draw=1)
    assert not malformed.ok and malformed.reason.startswith("malformed response: not JSON")
    assert not empty.ok and empty.reason == "empty completion (finish_reason=stop)"
    assert not malformed.transient and not empty.transient
    assert len(fake_server.chat_requests) == 2
    # a 200 answer is cached even when unusable: asking again would pay again for the same thing
    assert not client.chat(HELLO).ok and len(fake_server.chat_requests) == 2


def test_client_errors_are_not_retried(fake_server):
    client = ChatClient(endpoint(fake_server.url.replace("/v1", "/nope")), api_key=KEY)
    result = client.chat(HELLO)
    assert not result.ok and result.reason.startswith("HTTP 404") and not result.transient
    assert client.usage.requests_sent == 1


def test_backoff_doubles_with_jitter_and_respects_the_cap(fake_server):
    fake_server.fail_next("500", "500", "500", "500")
    waits = []
    client = ChatClient(endpoint(fake_server.url, max_retries=4, backoff_base_s=1.0, backoff_max_s=3.0),
                        api_key=KEY, sleep=waits.append, rng=random.Random(7))
    assert client.chat(HELLO).ok
    # equal jitter: each wait lies in [step/2, step] for steps 1, 2, 3 (capped), 3
    steps = [1.0, 2.0, 3.0, 3.0]
    assert len(waits) == 4
    assert all(step / 2 <= w <= step for w, step in zip(waits, steps))


def test_retry_after_is_a_floor_capped_by_backoff_max(fake_server):
    fake_server.retry_after = "2.5"
    fake_server.fail_next("429", "429")
    waits = []
    client = ChatClient(endpoint(fake_server.url, backoff_base_s=0.01, backoff_max_s=2.0), api_key=KEY,
                        sleep=waits.append)
    assert client.chat(HELLO).ok
    assert waits == [2.0, 2.0]  # the server asked for 2.5 s; we never wait longer than backoff_max_s


def test_concurrency_limit_holds_under_parallel_calls(fake_server):
    from concurrent.futures import ThreadPoolExecutor

    fake_server.answer_delay = 0.05
    client = ChatClient(endpoint(fake_server.url, max_concurrency=2), api_key=KEY)
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda i: client.chat(HELLO, draw=i), range(8)))
    assert all(r.ok for r in results) and len(fake_server.chat_requests) == 8
    assert fake_server.max_in_flight == 2


def test_cache_answers_repeats_and_draws_ask_again(fake_server, tmp_path):
    cache = RequestCache(tmp_path)
    client = ChatClient(endpoint(fake_server.url), api_key=KEY, cache=cache)
    first = client.chat(HELLO)
    again = ChatClient(endpoint(fake_server.url), api_key=KEY, cache=RequestCache(tmp_path)).chat(HELLO)
    assert again.cached and again.content == first.content
    assert len(fake_server.chat_requests) == 1
    assert client.chat(HELLO, draw=1).ok and len(fake_server.chat_requests) == 2
    assert KEY not in (tmp_path / "requests.jsonl").read_text()


def test_cache_key_covers_the_request_but_not_the_key():
    base = request_key("http://h/v1", "m", HELLO, {"temperature": 0.7})
    assert base == request_key("http://h/v1/", "m", HELLO, {"temperature": 0.7})
    assert base != request_key("http://h/v1", "m", HELLO, {"temperature": 0.8})
    assert base != request_key("http://other/v1", "m", HELLO, {"temperature": 0.7})
    assert base != request_key("http://h/v1", "m2", HELLO, {"temperature": 0.7})
    assert base != request_key("http://h/v1", "m", HELLO, {"temperature": 0.7}, draw=1)


def test_a_torn_cache_line_is_ignored_and_sealed(tmp_path):
    cache = RequestCache(tmp_path)
    cache.put("k1", base_url="http://h/v1", model="m", messages=HELLO, params={}, body="{}")
    with open(tmp_path / "requests.jsonl", "ab") as fh:
        fh.write(b'{"key": "k2", "bo')  # the process died mid-write
    reopened = RequestCache(tmp_path)
    assert len(reopened) == 1 and reopened.get("k1")["body"] == "{}"
    reopened.put("k3", base_url="http://h/v1", model="m", messages=HELLO, params={}, body="{}")
    assert len(RequestCache(tmp_path)) == 2


def test_cost_from_prices(fake_server):
    client = ChatClient(endpoint(fake_server.url, price_input_per_mtok=2.0, price_output_per_mtok=10.0),
                        api_key=KEY)
    result = client.chat(HELLO)
    expected = (result.prompt_tokens * 2.0 + result.completion_tokens * 10.0) / 1e6
    assert result.cost == pytest.approx(expected) and expected > 0
    assert client.usage.cost == pytest.approx(expected)


def test_list_models_sends_the_key_and_errors_are_redacted(fake_server):
    client = ChatClient(endpoint(fake_server.url), api_key=KEY)
    assert client.list_models() == ["fake-small", "fake-teacher"]
    assert fake_server.auth_headers == [f"Bearer {KEY}"]
    assert KEY not in repr(client)
    dead = ChatClient(endpoint("http://127.0.0.1:9/v1"), api_key=KEY)
    with pytest.raises(SynthConnectionError, match="cannot reach") as info:
        dead.list_models()
    assert KEY not in str(info.value)


def test_key_comes_from_the_named_environment_variable(monkeypatch):
    ep = Endpoint(model="m", api_key_env="SIEVE_TEST_KEY")
    monkeypatch.delenv("SIEVE_TEST_KEY", raising=False)
    with pytest.raises(SieveConfigError, match="SIEVE_TEST_KEY"):
        resolve_api_key(ep)
    monkeypatch.setenv("SIEVE_TEST_KEY", KEY)
    assert resolve_api_key(ep) == KEY
    assert resolve_api_key(ep, "typed") == "typed"
    assert resolve_api_key(Endpoint(model="m", api_key_env=None)) is None
