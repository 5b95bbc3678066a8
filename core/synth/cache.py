"""Request cache on disk (append-only JSONL) and the token/cost ledger of a run.

Every answered request (HTTP 200, whatever the body) is appended before it is used, keyed by a
hash of the full request — base URL, model, messages, parameters and the draw number — and never
the API key. A run killed midway and started again finds every answered request here and pays
for none of them twice. Transient failures (timeouts, 429, 5xx) are not cached: they were not
answered, so asking again is the point.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson

CACHE_FILE = "requests.jsonl"


def request_key(base_url: str, model: str, messages: list[dict], params: dict[str, Any], draw: int = 0) -> str:
    """Hash of everything that decides the answer; `draw` tells apart repeats of one request in a run."""
    payload = {"base_url": base_url.rstrip("/"), "model": model, "messages": messages,
               "params": params, "draw": draw}
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


def redact_url(url: str) -> str:
    """A base URL without user info or query string (either may carry a credential)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


class RequestCache:
    """key -> cached answer, backed by one append-only JSONL file (or memory when `directory` is None)."""

    def __init__(self, directory: str | Path | None):
        self.path = Path(directory) / CACHE_FILE if directory is not None else None
        self._entries: dict[str, dict] = {}
        self._lock = threading.Lock()
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._load()

    def _load(self) -> None:
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        for line in data.splitlines():
            try:
                entry = orjson.loads(line)
                self._entries[entry["key"]] = entry
            except (orjson.JSONDecodeError, KeyError, TypeError):
                continue  # a line cut short by a killed run: that request was not recorded
        if data and not data.endswith(b"\n"):
            # seal the torn line so the next append starts on a line of its own
            with open(self.path, "ab") as fh:
                fh.write(b"\n")

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: str) -> dict | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: str, *, base_url: str, model: str, messages: list[dict], params: dict,
            body: str) -> dict:
        """Record one answered request (one write of one line, flushed to disk before returning)."""
        entry = {"key": key, "base_url": redact_url(base_url), "model": model,
                 "request": {"messages": messages, "params": params}, "body": body, "at": time.time()}
        line = orjson.dumps(entry) + b"\n"
        with self._lock:
            self._entries[key] = entry
            if self.path is not None:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    os.write(fd, line)
                    os.fsync(fd)
                finally:
                    os.close(fd)
        return entry


@dataclass
class Usage:
    """Tokens, requests and money of a run; thread-safe counters."""

    requests_sent: int = 0          # HTTP attempts, retries included
    retries: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float = 0.0               # paid in this run (needs prices)
    saved_cost: float = 0.0         # what the cache hits would have cost
    priced: bool = True             # every endpoint has prices; else cost is unknown (None)
    failures: Counter = field(default_factory=Counter)
    by_model: dict[str, dict[str, int]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def sent(self) -> None:
        with self._lock:
            self.requests_sent += 1

    def retried(self) -> None:
        with self._lock:
            self.retries += 1

    def failed(self, kind: str) -> None:
        with self._lock:
            self.failures[kind] += 1

    def tokens(self, model: str, prompt: int, completion: int, cost: float | None, *, cached: bool) -> None:
        with self._lock:
            if cached:
                self.cache_hits += 1
                self.saved_cost += cost or 0.0
                return
            self.prompt_tokens += prompt
            self.completion_tokens += completion
            self.cost += cost or 0.0
            tally = self.by_model.setdefault(model, {"prompt_tokens": 0, "completion_tokens": 0, "requests": 0})
            tally["prompt_tokens"] += prompt
            tally["completion_tokens"] += completion
            tally["requests"] += 1

    def summary(self) -> dict[str, Any]:
        with self._lock:
            return {"requests_sent": self.requests_sent, "retries": self.retries, "cache_hits": self.cache_hits,
                    "prompt_tokens": self.prompt_tokens, "completion_tokens": self.completion_tokens,
                    "cost": round(self.cost, 6) if self.priced else None,
                    "saved_by_cache": round(self.saved_cost, 6), "failures": dict(self.failures),
                    "by_model": {k: dict(v) for k, v in self.by_model.items()}}
