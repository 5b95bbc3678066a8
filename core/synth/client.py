"""A chat client for any OpenAI-compatible endpoint: cache first, bounded concurrency, our own retries.

The `openai` client is built with max_retries=0 so every retry is ours: counted, tested, and
backed off exponentially with jitter on timeouts, connection errors, 429 and 5xx. Anything the
server answers with 200 is cached before it is parsed; a malformed or empty answer becomes a
failure with its reason, never an exception out of the run. The key lives in this object only and
is scrubbed from every message it produces.
"""

from __future__ import annotations

import os
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import openai
import orjson

from core.errors import SieveConfigError, SieveError
from core.synth.cache import RequestCache, Usage, request_key
from core.synth.config import Endpoint

NO_KEY = "sieve-no-key"  # the openai client insists on a key; local servers ignore it


class SynthConnectionError(SieveError):
    """The endpoint could not be reached or refused us (message already redacted)."""


def resolve_api_key(endpoint: Endpoint, typed_key: str | None = None) -> str | None:
    """The key typed into the page, else the one in the endpoint's environment variable, else None."""
    if typed_key:
        return typed_key
    if endpoint.api_key_env is None:
        return None
    key = os.environ.get(endpoint.api_key_env)
    if not key:
        raise SieveConfigError(f"environment variable {endpoint.api_key_env} (api_key_env) is not set; "
                               "export the key there or set api_key_env: null for a server that needs none")
    return key


def redact(text: str, secret: str | None) -> str:
    return text.replace(secret, "***") if secret and len(secret) >= 4 else text


@dataclass
class ChatResult:
    """One chat completion, or why there is none."""

    ok: bool
    content: str = ""
    tool_calls: list[dict] | None = None
    reason: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None
    cached: bool = False
    transient: bool = False   # failed on the wire (timeouts, 429, 5xx): worth asking again later
    attempts: int = 0
    request_key: str = ""


class ChatClient:
    """Chat completions against one endpoint, through a request cache."""

    def __init__(self, endpoint: Endpoint, *, api_key: str | None, cache: RequestCache | None = None,
                 usage: Usage | None = None, sleep: Callable[[float], None] = time.sleep,
                 rng: random.Random | None = None):
        self.endpoint = endpoint
        self._api_key = api_key
        self.cache = cache if cache is not None else RequestCache(None)
        self.usage = usage if usage is not None else Usage()
        if endpoint.price_input_per_mtok is None or endpoint.price_output_per_mtok is None:
            self.usage.priced = False
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._slots = threading.BoundedSemaphore(endpoint.max_concurrency)
        self._client = openai.OpenAI(base_url=endpoint.base_url, api_key=api_key or NO_KEY,
                                     max_retries=0, timeout=endpoint.timeout_s)

    def __repr__(self) -> str:
        return f"ChatClient(base_url={self.endpoint.base_url!r}, model={self.endpoint.model!r}, api_key=***)"

    @property
    def model(self) -> str:
        return self.endpoint.model

    # ------------------------------------------------------------ public

    def list_models(self) -> list[str]:
        """Model ids the endpoint serves (GET /models): the connection test."""
        try:
            with self._slots:
                return sorted(m.id for m in self._client.models.list())
        except openai.APIStatusError as exc:
            raise SynthConnectionError(self._scrub(f"{self.endpoint.base_url}/models answered HTTP "
                                                   f"{exc.status_code}: {_status_detail(exc)}")) from None
        except openai.APIError as exc:
            raise SynthConnectionError(self._scrub(f"cannot reach {self.endpoint.base_url}: "
                                                   f"{type(exc).__name__}: {_short(str(exc))}")) from None

    def chat(self, messages: list[dict], *, extra: dict[str, Any] | None = None, draw: int = 0) -> ChatResult:
        """One completion; `extra` adds request parameters (tools, response_format); never raises on the wire."""
        params = {**self.endpoint.sampling_params(), **(extra or {})}
        key = request_key(self.endpoint.base_url, self.model, messages, params, draw)
        cached = self.cache.get(key)
        if cached is not None:
            result = self._parse(cached["body"], key, cached=True)
        else:
            body, attempts, failure, transient = self._send(messages, params)
            if body is None:
                self.usage.failed(failure_kind(failure))
                return ChatResult(ok=False, reason=self._scrub(failure), attempts=attempts, request_key=key,
                                  transient=transient)
            self.cache.put(key, base_url=self.endpoint.base_url, model=self.model, messages=messages,
                           params=params, body=body)
            result = self._parse(body, key, cached=False)
            result.attempts = attempts
        self.usage.tokens(self.model, result.prompt_tokens, result.completion_tokens, result.cost,
                          cached=result.cached)
        if not result.ok:
            self.usage.failed(failure_kind(result.reason))
        return result

    # ------------------------------------------------------------ wire

    def _send(self, messages: list[dict], params: dict) -> tuple[str | None, int, str, bool]:
        """(body, attempts, last failure, transient?); retries with exponential backoff and jitter."""
        failure = ""
        attempts = 0
        for attempt in range(self.endpoint.max_retries + 1):
            attempts = attempt + 1
            retry_after = None
            self.usage.sent()
            try:
                with self._slots:
                    raw = self._client.chat.completions.with_raw_response.create(
                        model=self.model, messages=messages, **params)
                return raw.http_response.text, attempts, "", False
            except openai.APITimeoutError:
                failure = f"timeout: no answer within {self.endpoint.timeout_s:g}s"
            except openai.APIConnectionError as exc:
                failure = f"connection error: {_short(str(exc.__cause__ or exc))}"
            except openai.APIStatusError as exc:
                failure = f"HTTP {exc.status_code}: {_status_detail(exc)}"
                if exc.status_code != 429 and exc.status_code < 500:
                    return None, attempts, failure, False  # 400/401/404: asking again cannot help
                retry_after = _retry_after(exc.response)
            if attempt < self.endpoint.max_retries:
                self.usage.retried()
                self._sleep(self._backoff(attempt, retry_after))
        return None, attempts, f"{failure.split(':')[0]}: gave up after {attempts} attempts ({failure})", True

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        """Equal jitter: half the exponential step fixed, half random; a server's Retry-After is a floor."""
        step = min(self.endpoint.backoff_max_s, self.endpoint.backoff_base_s * 2 ** attempt)
        delay = step / 2 + self._rng.uniform(0, step / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.endpoint.backoff_max_s))
        return delay

    def _parse(self, body: str, key: str, *, cached: bool) -> ChatResult:
        """A ChatResult from a 200 body; malformed or empty answers are failures with their reason."""
        def fail(reason: str, **usage) -> ChatResult:
            return ChatResult(ok=False, reason=self._scrub(reason), cached=cached, request_key=key, **usage)

        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError:
            return fail(f"malformed response: not JSON ({_short(body, 60)!r})")
        if not isinstance(data, dict):
            return fail("malformed response: not a JSON object")
        usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
        prompt_tokens = _int(usage.get("prompt_tokens"))
        completion_tokens = _int(usage.get("completion_tokens"))
        tokens = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "cost": self._cost(prompt_tokens, completion_tokens)}
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            error = data.get("error")
            detail = f" (error: {_short(str(error))})" if error else ""
            return fail(f"malformed response: no choices{detail}", **tokens)
        message = choices[0].get("message")
        if not isinstance(message, dict):
            return fail("malformed response: choice has no message", **tokens)
        content = message.get("content")
        content = content if isinstance(content, str) else ""
        tool_calls = message.get("tool_calls") or None
        if tool_calls is not None and not isinstance(tool_calls, list):
            return fail("malformed response: tool_calls is not a list", **tokens)
        finish_reason = choices[0].get("finish_reason")
        if not content.strip() and not tool_calls:
            return fail(f"empty completion (finish_reason={finish_reason})", **tokens)
        return ChatResult(ok=True, content=content, tool_calls=tool_calls, finish_reason=finish_reason,
                          cached=cached, request_key=key, **tokens)

    def _cost(self, prompt_tokens: int, completion_tokens: int) -> float | None:
        e = self.endpoint
        if e.price_input_per_mtok is None or e.price_output_per_mtok is None:
            return None
        return (prompt_tokens * e.price_input_per_mtok + completion_tokens * e.price_output_per_mtok) / 1e6

    def _scrub(self, text: str) -> str:
        return redact(text, self._api_key)


def failure_kind(reason: str) -> str:
    """'timeout', 'HTTP 429', 'malformed response', 'empty completion'…: the reason without detail."""
    return reason.split(":")[0].split(" (")[0]


def _status_detail(exc: openai.APIStatusError) -> str:
    """The server's own error message where it sent one (openai wraps it in 'Error code: …')."""
    body = exc.body
    if isinstance(body, dict) and isinstance(body.get("message"), str):
        return _short(body["message"])
    return _short(exc.message)


def _retry_after(response: Any) -> float | None:
    try:
        value = response.headers.get("retry-after")
        return float(value) if value is not None else None
    except (AttributeError, ValueError):
        return None


def _int(value: Any) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"
