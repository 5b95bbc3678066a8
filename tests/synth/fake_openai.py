"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat API with scripted answers.

It counts every request, answers `/v1/models` and `/v1/chat/completions`, and can be told to
fail the next requests with a timeout (it stalls), 429, 500, malformed JSON or an empty
completion, or to stall every request after the first N answers (to kill a run midway).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

import pytest

from core.synth import templates

Responder = Callable[[dict], "str | dict"]


def body_hash(body: dict) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def default_responder(body: dict) -> str | dict:
    """Plausible answers per stage, recognised by the templates' system messages."""
    messages = body["messages"]
    system = messages[0]["content"] if messages[0]["role"] == "system" else ""
    user = messages[-1]["content"]
    if system == templates.JUDGE_SYSTEM:
        grade = {"score": 5, "reason": "Does what was asked."}
        return json.dumps({"helpfulness": grade, "correctness": grade, "safety": grade})
    if system == templates.INSTRUCTION_SYSTEM:
        topic = re.search(r"about:? (.+?)[.\n]", user)
        return f"Explain the basics of {topic.group(1) if topic else 'something'} to a beginner."
    if system == templates.SELF_INSTRUCT_SYSTEM:
        return f"Describe task number {len(user)} in detail."
    if system == templates.EVOL_SYSTEM:
        return user.split("\n\n", 1)[-1] + " Include one worked example."
    return f"Here is a clear answer. {user} The key ideas are explained above."


class FakeOpenAI:
    """Start with `start()`, point a client at `url`, `stop()` when done."""

    def __init__(self, responder: Responder = default_responder, models: tuple[str, ...] = ("fake-small", "fake-teacher")):
        self.responder = responder
        self.models = list(models)
        self.faults: deque[str] = deque()
        self.chat_requests: list[dict] = []      # every chat body received, in order
        self.answered: Counter = Counter()       # body hash -> times answered with 200
        self.models_requests = 0
        self.stall_after: int | None = None      # answer this many, then stall every request
        self.stall_seconds = 30.0
        self.auth_headers: list[str] = []
        self.retry_after = "0"                   # Retry-After header sent with 429
        self.answer_delay = 0.0                  # seconds each answer takes
        self.in_flight = 0
        self.max_in_flight = 0                   # most chat requests open at once
        self._release = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ control

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def fail_next(self, *faults: str) -> None:
        """Queue faults for the next chat requests: 'timeout', '429', '500', 'malformed', 'empty'."""
        self.faults.extend(faults)

    @property
    def answered_total(self) -> int:
        return sum(self.answered.values())

    def start(self) -> "FakeOpenAI":
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._release.set()  # wake stalled handlers so shutdown does not wait for them
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # ------------------------------------------------------------ behaviour

    def _next_action(self, body: dict) -> str:
        with self._lock:
            self.chat_requests.append(body)
            if self.faults:
                fault = self.faults.popleft()
                if fault in ("malformed", "empty"):  # answered with 200, just badly
                    self.answered[body_hash(body)] += 1
                return fault
            if self.stall_after is not None and self.answered_total >= self.stall_after:
                return "stall"
            self.answered[body_hash(body)] += 1
            return "answer"

    def completion(self, body: dict) -> dict:
        answer = self.responder(body)
        if isinstance(answer, dict):
            message = answer
        else:
            message = {"role": "assistant", "content": answer}
        prompt_chars = sum(len(m.get("content") or "") for m in body["messages"])
        return {"id": "chatcmpl-fake", "object": "chat.completion", "model": body.get("model"),
                "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": prompt_chars // 4 + 1,
                          "completion_tokens": len(message.get("content") or "") // 4 + 1,
                          "total_tokens": 0}}


def _handler_for(fake: FakeOpenAI) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # keep pytest output clean
            pass

        def _send(self, status: int, payload: bytes, content_type: str = "application/json",
                  headers: dict | None = None) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test): nothing to answer

        def do_GET(self) -> None:
            fake.auth_headers.append(self.headers.get("Authorization", ""))
            if self.path.rstrip("/") == "/v1/models":
                fake.models_requests += 1
                data = [{"id": m, "object": "model", "owned_by": "fake"} for m in fake.models]
                self._send(200, json.dumps({"object": "list", "data": data}).encode())
            else:
                self._send(404, b'{"error": {"message": "not found"}}')

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            fake.auth_headers.append(self.headers.get("Authorization", ""))
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, b'{"error": {"message": "not found"}}')
                return
            body = json.loads(raw)
            with fake._lock:
                fake.in_flight += 1
                fake.max_in_flight = max(fake.max_in_flight, fake.in_flight)
            try:
                self._answer(body)
            finally:
                with fake._lock:
                    fake.in_flight -= 1

        def _answer(self, body: dict) -> None:
            action = fake._next_action(body)
            if action in ("timeout", "stall"):
                fake._release.wait(fake.stall_seconds if action == "stall" else 2.0)
                self._send(504, b'{"error": {"message": "too late"}}')
            elif action == "429":
                self._send(429, b'{"error": {"message": "rate limited", "type": "rate_limit"}}',
                           headers={"Retry-After": fake.retry_after})
            elif action == "500":
                self._send(500, b'{"error": {"message": "internal error"}}')
            elif action == "malformed":
                self._send(200, b'{"choices": [{"message": ')
            elif action == "empty":
                payload = fake.completion(body)
                payload["choices"][0]["message"]["content"] = ""
                self._send(200, json.dumps(payload).encode())
            else:
                if fake.answer_delay:
                    fake._release.wait(fake.answer_delay)
                self._send(200, json.dumps(fake.completion(body)).encode())

    return Handler


@pytest.fixture
def fake_server():
    """A fresh scripted server on 127.0.0.1 (random free port) per test, stopped afterwards."""
    server = FakeOpenAI().start()
    try:
        yield server
    finally:
        server.stop()
