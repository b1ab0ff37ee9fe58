"""A fake OpenAI-compatible HTTP server on 127.0.0.1, for tests and benchmarks.

Standard library only: a ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive) in a background thread.
It speaks just enough of the OpenAI protocol for the official ``openai`` SDK, pointed at it with
``base_url=server.url``, to work unchanged:

- ``POST /v1/chat/completions`` (also ``n`` > 1 and ``stream=true``);
- the Batch API: ``POST /v1/files`` (multipart), ``GET /v1/files[/{id}[/content]]``,
  ``DELETE /v1/files/{id}``, ``POST /v1/batches``, ``GET /v1/batches[/{id}]``,
  ``POST /v1/batches/{id}/cancel``;
- ``GET /v1/models[/{id}]``.

Anything else gets a 404 with an OpenAI-style error body. The ``/v1`` prefix is optional.

What a chat completion answers is decided, per choice, by ``server.script`` (replies popped
from the front, FIFO) and then by ``server.answer(request_body)``; the default answer returns
``json_reply(n)`` when the last user message contains ``ANSWER=<n>`` and ``json_reply(3)``
otherwise.

Typical use::

    with FakeOpenAI() as server:
        server.script = [Reply(status=429), json_reply(5)]
        client = OpenAI(base_url=server.url, api_key="test", max_retries=0)
        ...
        assert server.chat_count() == 2

Logprobs: ``score_logprobs(dist)`` (or ``logprob_reply(dist)``, which also sets the matching
content) builds the per-token logprobs of the JSON answer ``{"score": N, "rationale": "ok",
"tags": []}``. The tokens are, in order::

    '{"'  'score'  '":'  ' '  '<N>'  ','  ' '  '"'  'rationale'  '":'  ' '  '"'  'ok'  '",'
    ' '  '"'  'tags'  '":'  ' '  '[]}'

i.e. the score is its own token whose text is exactly the number (no leading space), and it is
the first token after the token ``'score'`` whose text is all digits. Only that token carries the
distribution: its ``logprob`` is log P(N) and its ``top_logprobs`` are every entry of ``dist``
as ``(token, log p)``, most likely first (p == 0 gives -9999.0, the API's "very unlikely").
Every other token has ``logprob`` 0.0 and ``top_logprobs`` ``[(token, 0.0)]``. The tokens
concatenate to exactly the reply's content.

As the real API does, logprobs are only sent when the request says ``logprobs=true``, and each
token's ``top_logprobs`` list is cut to the request's ``top_logprobs`` (an empty list when the
request does not give one). ``Reply.logprobs=None`` always sends ``"logprobs": null`` (an
endpoint without logprobs support).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import re
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = [
    "FakeOpenAI",
    "LogprobToken",
    "Reply",
    "default_answer",
    "json_reply",
    "last_user_text",
    "logprob_reply",
    "score_logprobs",
]

LogprobToken = tuple[str, float, list[tuple[str, float]]]
"""One content token: (token, logprob, [(top_token, top_logprob), ...])."""

UNLIKELY = -9999.0
"""The logprob the API uses for "very unlikely" (and what a probability of 0 maps to)."""


@dataclass
class Reply:
    """What the server answers to one chat completion choice (or one batch line).

    ``status`` other than 200 sends an OpenAI-style error body ``{"error": {"message", "type",
    "param", "code"}}`` (``content``, when given, is the message); 429 also sends
    ``retry-after: 0`` and ``retry-after-ms: 1`` (so SDK retries wait ~1 ms, not its backoff).
    ``raw_body`` is sent verbatim with ``status`` (content type ``application/json`` unless
    ``headers`` says otherwise). ``headers`` are extra response headers (override the defaults).
    ``delay`` is slept (on top of ``FakeOpenAI.latency``) before answering.
    """

    status: int = 200
    content: str | None = None
    delay: float = 0.0
    logprobs: list[LogprobToken] | None = None
    prompt_tokens: int = 100
    completion_tokens: int = 20
    raw_body: bytes | None = None
    finish_reason: str = "stop"
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """A normal completion (not an error status, not a raw body)."""
        return self.status == 200 and self.raw_body is None


def json_reply(score: int, rationale: str = "ok", tags: Iterable[str] = (), **kw: Any) -> Reply:
    """A reply whose content is ``json.dumps({"score": score, "rationale": ..., "tags": [...]})``.

    ``kw`` go to ``Reply`` (``delay``, ``logprobs``, ``status``, ...).
    """
    return Reply(content=_score_json(score, rationale, tags), **kw)


def score_logprobs(
    dist: Mapping[str, float],
    *,
    score: int | None = None,
    rationale: str = "ok",
    tags: Iterable[str] = (),
) -> list[LogprobToken]:
    """Per-token logprobs for the answer ``json_reply(score, rationale, tags).content``.

    ``dist`` maps score tokens (``"1"`` .. ``"5"``, any integer text) to *probabilities*; they
    are not renormalised. ``score`` is the sampled score (default: the most likely in ``dist``).
    See the module docstring for the exact tokens; the score token's text is exactly the number,
    it is the first all-digit token after the token ``'score'``, its ``top_logprobs`` are
    ``dist`` as log probabilities, most likely first.
    """
    if not dist:
        raise ValueError("score_logprobs needs a non-empty distribution")
    for token in dist:
        if not re.fullmatch(r"\d+", token):
            raise ValueError(f"score tokens must be digits, got {token!r}")
    chosen = str(score) if score is not None else max(dist, key=lambda t: dist[t])
    content = _score_json(int(chosen), rationale, tags)
    head = '{"score": ' + chosen
    assert content.startswith(head), content
    top = sorted(((t, _log(p)) for t, p in dist.items()), key=lambda tp: -tp[1])
    tokens: list[LogprobToken] = [(t, 0.0, [(t, 0.0)]) for t in ('{"', "score", '":', " ")]
    tokens.append((chosen, _log(dist.get(chosen, 0.0)), top))
    tokens.extend((t, 0.0, [(t, 0.0)]) for t in _TOKEN_RE.findall(content[len(head) :]))
    assert "".join(t for t, _, _ in tokens) == content
    return tokens


def logprob_reply(
    dist: Mapping[str, float],
    *,
    score: int | None = None,
    rationale: str = "ok",
    tags: Iterable[str] = (),
    **kw: Any,
) -> Reply:
    """A JSON reply whose content and logprobs agree: ``score_logprobs(dist, ...)`` joined up."""
    tags = list(tags)
    logprobs = score_logprobs(dist, score=score, rationale=rationale, tags=tags)
    return Reply(content="".join(t for t, _, _ in logprobs), logprobs=logprobs, **kw)


def last_user_text(request: Mapping[str, Any]) -> str:
    """The text of the last ``user`` message of a chat request (text parts joined), or ''."""
    for message in reversed(request.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(
                    str(part.get("text", ""))
                    for part in content
                    if isinstance(part, dict) and part.get("type") == "text"
                )
            return ""
    return ""


_ANSWER_RE = re.compile(r"ANSWER=(-?\d+)")


def default_answer(request: Mapping[str, Any]) -> Reply:
    """``json_reply(n)`` if the last user message contains ``ANSWER=<n>``, else ``json_reply(3)``."""
    match = _ANSWER_RE.search(last_user_text(request))
    return json_reply(int(match.group(1)) if match else 3)


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1 (a free port), for tests and benchmarks.

    Attributes (all may be changed while the server runs):

    - ``requests``: every HTTP request received, in order, as ``{"method", "path", "json",
      "headers", "form"}`` (``path`` as sent, e.g. ``/v1/chat/completions``; ``json`` the parsed
      body or None; ``headers`` lower-cased; ``form`` the text fields of a multipart upload plus
      ``{name: {"filename", "bytes"}}`` for its files, else None).
    - ``answer``: ``request_body -> Reply``, consulted per choice when ``script`` is empty.
    - ``script``: replies popped from the front (FIFO) before ``answer`` is consulted.
    - ``latency``: seconds slept before answering each chat completion request.
    - ``batch_polls_until_done``: how many ``GET /v1/batches/{id}`` say ``in_progress`` before
      the batch is processed (through ``script``/``answer``) and reported ``completed``.
    - ``batch_requests``: every batch input line processed: ``{"batch_id", "custom_id", "json"}``.
    - ``batches``: batch id -> the Batch JSON last returned.
    - ``errors``: exceptions raised by ``answer`` (each also answered with a 500).
    """

    def __init__(self, *, latency: float = 0.0) -> None:
        self.latency = latency
        self.answer: Callable[[dict[str, Any]], Reply] = default_answer
        self.script: list[Reply] = []
        self.requests: list[dict[str, Any]] = []
        self.batch_requests: list[dict[str, Any]] = []
        self.batch_polls_until_done = 2
        self.batches: dict[str, dict[str, Any]] = {}
        self.errors: list[BaseException] = []
        self._files: dict[str, tuple[dict[str, Any], bytes]] = {}
        self._batch_state: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._stopping = threading.Event()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeOpenAI:
        """Bind a free port on 127.0.0.1 and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("FakeOpenAI is already started")
        self._stopping.clear()
        self._httpd = _Server(("127.0.0.1", 0), _Handler, self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"FakeOpenAI:{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, close every open connection. Idempotent."""
        httpd, thread = self._httpd, self._thread
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.close_connections()
        httpd.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("FakeOpenAI is not started")
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The ``base_url`` for the SDK, e.g. ``http://127.0.0.1:PORT/v1``."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- inspection ----------------------------------------------------------------------

    def chat_count(self) -> int:
        """How many ``POST /v1/chat/completions`` were received (batch lines not included)."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if r["method"] == "POST" and _route(r["path"]) == "/chat/completions"
            )

    def chat_requests(self) -> list[dict[str, Any]]:
        """The JSON bodies of the ``POST /v1/chat/completions`` received, in order."""
        with self._lock:
            return [
                r["json"]
                for r in self.requests
                if r["method"] == "POST" and _route(r["path"]) == "/chat/completions"
            ]

    def file_content(self, file_id: str) -> bytes:
        """The bytes of an uploaded or generated file."""
        with self._lock:
            return self._files[file_id][1]

    def reset(self) -> None:
        """Forget requests, script, errors, files and batches; restore the default answer."""
        with self._lock:
            self.requests.clear()
            self.batch_requests.clear()
            self.script.clear()
            self.errors.clear()
            self._files.clear()
            self._batch_state.clear()
            self.batches.clear()
        self.answer = default_answer

    # -- request handling ----------------------------------------------------------------

    def _next_id(self) -> int:
        with self._lock:
            return next(self._ids)

    def _next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self.script:
                return self.script.pop(0)
        answer = self.answer
        try:
            reply = answer(request)
        except Exception as exc:
            with self._lock:
                self.errors.append(exc)
            return Reply(status=500, content=f"FakeOpenAI.answer raised {exc!r}")
        if not isinstance(reply, Reply):
            with self._lock:
                self.errors.append(TypeError(f"answer returned {reply!r}, not a Reply"))
            return Reply(status=500, content=f"FakeOpenAI.answer returned {reply!r}, not a Reply")
        return reply

    def _replies(self, request: dict[str, Any]) -> list[Reply]:
        """One reply per choice; stops early at the first error/raw reply (which is answered)."""
        n = request.get("n")
        n = n if isinstance(n, int) and n > 0 else 1
        replies: list[Reply] = []
        for _ in range(n):
            reply = self._next_reply(request)
            replies.append(reply)
            if not reply.ok:
                break
        return replies

    def _handle(self, h: _Handler, method: str) -> None:
        path = urlsplit(h.path).path
        body = h.read_body()
        content_type = h.headers.get("content-type", "")
        parsed: Any = None
        form: dict[str, Any] | None = None
        files: dict[str, tuple[str, bytes]] = {}
        if content_type.startswith("multipart/form-data"):
            fields, files = _parse_multipart(body, content_type)
            form = {
                **fields,
                **{k: {"filename": fn, "bytes": len(data)} for k, (fn, data) in files.items()},
            }
        elif body:
            try:
                parsed = json.loads(body)
            except ValueError:
                parsed = None
        record = {
            "method": method,
            "path": path,
            "json": parsed,
            "headers": {k.lower(): v for k, v in h.headers.items()},
            "form": form,
        }
        with self._lock:
            self.requests.append(record)

        route = _route(path)
        parts = [unquote(p) for p in route.strip("/").split("/")] if route.strip("/") else []
        if method == "POST" and route == "/chat/completions":
            if not isinstance(parsed, dict) or not isinstance(parsed.get("messages"), list):
                h.send_json(400, _error_body(400, "'messages' is a required property"))
                return
            self._chat(h, parsed)
        elif parts[:1] == ["files"]:
            self._files_route(h, method, parts[1:], form, files)
        elif parts[:1] == ["batches"]:
            self._batches_route(h, method, parts[1:], parsed)
        elif parts[:1] == ["models"] and method == "GET":
            if len(parts) == 1:
                h.send_json(200, {"object": "list", "data": [_model("fake-model")]})
            else:
                h.send_json(200, _model("/".join(parts[1:])))
        else:
            msg = f"Invalid URL ({method} {path})"
            h.send_json(404, _error_body(404, msg, code="unknown_url"))

    # -- chat completions ----------------------------------------------------------------

    def _chat(self, h: _Handler, request: dict[str, Any]) -> None:
        replies = self._replies(request)
        wait = self.latency + max(r.delay for r in replies)
        if wait > 0 and self._stopping.wait(wait):
            h.close_connection = True
            return
        last = replies[-1]
        if not last.ok:
            h.send_reply_error(last)
            return
        completion = self._completion(request, replies)
        extra = {k: v for r in replies for k, v in r.headers.items()}
        if request.get("stream"):
            h.send_bytes(200, _sse(completion, request), "text/event-stream", extra)
        else:
            h.send_json(200, completion, extra)

    def _completion(self, request: dict[str, Any], replies: list[Reply]) -> dict[str, Any]:
        want_logprobs = bool(request.get("logprobs"))
        top_n = request.get("top_logprobs")
        top_n = top_n if isinstance(top_n, int) and top_n > 0 else 0
        choices = [
            {
                "index": i,
                "message": {"role": "assistant", "content": r.content, "refusal": None},
                "finish_reason": r.finish_reason,
                "logprobs": _logprobs_json(r.logprobs, top_n)
                if want_logprobs and r.logprobs is not None
                else None,
            }
            for i, r in enumerate(replies)
        ]
        prompt_tokens = replies[0].prompt_tokens
        completion_tokens = sum(r.completion_tokens for r in replies)
        return {
            "id": f"chatcmpl-{self._next_id()}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or "fake-model",
            "system_fingerprint": "fp_fake",
            "choices": choices,
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }

    # -- files ---------------------------------------------------------------------------

    def _add_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        file_id = f"file-{self._next_id()}"
        obj: dict[str, Any] = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "expires_at": None,
            "status_details": None,
        }
        with self._lock:
            self._files[file_id] = (obj, data)
        return obj

    def _files_route(
        self,
        h: _Handler,
        method: str,
        rest: list[str],
        form: dict[str, Any] | None,
        files: dict[str, tuple[str, bytes]],
    ) -> None:
        if method == "POST" and not rest:
            purpose = (form or {}).get("purpose")
            if "file" not in files or not isinstance(purpose, str):
                h.send_json(400, _error_body(400, "A multipart 'file' and 'purpose' are required"))
                return
            filename, data = files["file"]
            h.send_json(200, self._add_file(filename, purpose, data))
            return
        if method == "GET" and not rest:
            with self._lock:
                listing = [obj for obj, _ in self._files.values()]
            h.send_json(200, {"object": "list", "data": listing, "has_more": False})
            return
        with self._lock:
            entry = self._files.get(rest[0]) if rest else None
        if entry is None:
            h.send_json(404, _error_body(404, f"No such File object: {rest[0] if rest else ''}"))
        elif method == "GET" and len(rest) == 1:
            h.send_json(200, entry[0])
        elif method == "GET" and rest[1:] == ["content"]:
            h.send_bytes(200, entry[1], "application/octet-stream")
        elif method == "DELETE" and len(rest) == 1:
            with self._lock:
                self._files.pop(rest[0], None)
            h.send_json(200, {"id": rest[0], "object": "file", "deleted": True})
        else:
            h.send_json(404, _error_body(404, "Invalid URL", code="unknown_url"))

    # -- batches -------------------------------------------------------------------------

    def _batches_route(self, h: _Handler, method: str, rest: list[str], body: Any) -> None:
        if method == "POST" and not rest:
            status, payload = self._create_batch(body)
            h.send_json(status, payload)
            return
        if method == "GET" and not rest:
            with self._lock:
                data = list(reversed(self.batches.values()))
            h.send_json(
                200,
                {
                    "object": "list",
                    "data": data,
                    "first_id": data[0]["id"] if data else None,
                    "last_id": data[-1]["id"] if data else None,
                    "has_more": False,
                },
            )
            return
        batch_id = rest[0] if rest else ""
        with self._lock:
            known = batch_id in self._batch_state
        if not known:
            h.send_json(404, _error_body(404, f"No batch found with id '{batch_id}'."))
        elif method == "GET" and len(rest) == 1:
            h.send_json(200, self._poll_batch(batch_id))
        elif method == "POST" and rest[1:] == ["cancel"]:
            status, payload = self._cancel_batch(batch_id)
            h.send_json(status, payload)
        else:
            h.send_json(404, _error_body(404, "Invalid URL", code="unknown_url"))

    def _create_batch(self, body: Any) -> tuple[int, dict[str, Any]]:
        if not isinstance(body, dict):
            return 400, _error_body(400, "Expected a JSON body")
        for key in ("input_file_id", "endpoint", "completion_window"):
            if not isinstance(body.get(key), str):
                return 400, _error_body(400, f"Missing required parameter: '{key}'.", param=key)
        if body["endpoint"] != "/v1/chat/completions":
            msg = f"FakeOpenAI only batches /v1/chat/completions, not {body['endpoint']!r}"
            return 400, _error_body(400, msg, param="endpoint")
        with self._lock:
            entry = self._files.get(body["input_file_id"])
        if entry is None:
            return 404, _error_body(404, f"No such File object: {body['input_file_id']}")
        lines = []
        for number, line in enumerate(entry[1].decode("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                lines.append(json.loads(line))
            except ValueError:
                return 400, _error_body(400, f"Line {number} of the input file is not JSON")
        now = int(time.time())
        batch = {
            "id": f"batch_{self._next_id()}",
            "object": "batch",
            "endpoint": body["endpoint"],
            "errors": None,
            "input_file_id": body["input_file_id"],
            "completion_window": body["completion_window"],
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": now,
            "in_progress_at": None,
            "expires_at": now + 24 * 3600,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
            "metadata": body.get("metadata"),
        }
        with self._lock:
            self._batch_state[batch["id"]] = {
                "lines": lines,
                "polls_left": max(0, int(self.batch_polls_until_done)),
            }
            self.batches[batch["id"]] = batch
        return 200, dict(batch)

    def _poll_batch(self, batch_id: str) -> dict[str, Any]:
        with self._lock:
            batch, state = self.batches[batch_id], self._batch_state[batch_id]
            if batch["status"] == "cancelling":
                batch["status"] = "cancelled"
                batch["cancelled_at"] = int(time.time())
                return dict(batch)
            if batch["status"] not in ("validating", "in_progress"):
                return dict(batch)
            if state["polls_left"] > 0:
                state["polls_left"] -= 1
                batch["status"] = "in_progress"
                batch["in_progress_at"] = batch["in_progress_at"] or int(time.time())
                return dict(batch)
            batch["status"] = "finalizing"  # claimed: concurrent polls see it finalizing
        self._run_batch(batch_id, batch, state["lines"])
        with self._lock:
            return dict(batch)

    def _run_batch(self, batch_id: str, batch: dict[str, Any], lines: list[Any]) -> None:
        out: list[dict[str, Any]] = []
        err: list[dict[str, Any]] = []
        for line in lines:
            custom_id = line.get("custom_id") if isinstance(line, dict) else None
            body = line.get("body") if isinstance(line, dict) else None
            result: dict[str, Any] = {
                "id": f"batch_req_{self._next_id()}",
                "custom_id": custom_id,
                "response": None,
                "error": None,
            }
            if (
                not isinstance(custom_id, str)
                or not isinstance(body, dict)
                or line.get("url") != batch["endpoint"]
            ):
                result["error"] = {
                    "code": "invalid_request",
                    "message": "Each line needs a custom_id, a body and the batch's url.",
                }
                err.append(result)
                continue
            with self._lock:
                self.batch_requests.append(
                    {"batch_id": batch_id, "custom_id": custom_id, "json": body}
                )
            replies = self._replies(body)
            last = replies[-1]
            request_id = f"req_{self._next_id():08x}"
            if last.ok:
                response_body: Any = self._completion(body, replies)
            elif last.raw_body is not None:
                response_body = last.raw_body.decode("utf-8", "replace")
            else:
                response_body = _error_body(last.status, last.content)
            result["response"] = {
                "status_code": last.status,
                "request_id": request_id,
                "body": response_body,
            }
            (out if last.status == 200 else err).append(result)
        stem = f"{batch_id}_{{}}.jsonl"
        output = self._add_file(stem.format("output"), "batch_output", _jsonl(out)) if out else None
        errors = self._add_file(stem.format("error"), "batch_output", _jsonl(err)) if err else None
        with self._lock:
            now = int(time.time())
            batch["in_progress_at"] = batch["in_progress_at"] or now
            batch["finalizing_at"] = now
            batch["completed_at"] = now
            batch["status"] = "completed"
            batch["output_file_id"] = output["id"] if output else None
            batch["error_file_id"] = errors["id"] if errors else None
            batch["request_counts"] = {
                "total": len(lines),
                "completed": len(out),
                "failed": len(err),
            }

    def _cancel_batch(self, batch_id: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            batch = self.batches[batch_id]
            if batch["status"] not in ("validating", "in_progress"):
                msg = f"Cannot cancel a batch with status '{batch['status']}'."
                return 409, _error_body(409, msg)
            batch["status"] = "cancelling"
            batch["cancelling_at"] = int(time.time())
            return 200, dict(batch)


# -- HTTP plumbing ----------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, address: tuple[str, int], handler: type[_Handler], fake: FakeOpenAI):
        self.fake = fake
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        with self._connections_lock:
            self._connections.add(sock)
        return sock, address

    def shutdown_request(self, request: Any) -> None:
        with self._connections_lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Shut down kept-alive client connections so their handler threads end."""
        with self._connections_lock:
            connections = list(self._connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is normal here; anything else is a bug to see.
        if isinstance(sys.exc_info()[1], OSError) or self.fake._stopping.is_set():
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall
    server: _Server

    def do_GET(self) -> None:
        self.server.fake._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.fake._handle(self, "POST")

    def do_DELETE(self) -> None:
        self.server.fake._handle(self, "DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def read_body(self) -> bytes:
        if "chunked" in self.headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def send_bytes(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        merged = {
            "content-type": content_type,
            "x-request-id": f"req_{self.server.fake._next_id():08x}",
            "openai-processing-ms": "1",
        }
        merged.update({k.lower(): v for k, v in (headers or {}).items()})
        try:
            self.send_response(status)
            for key, value in merged.items():
                self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def send_json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_bytes(status, json.dumps(payload).encode("utf-8"), "application/json", headers)

    def send_reply_error(self, reply: Reply) -> None:
        headers = {"retry-after": "0", "retry-after-ms": "1"} if reply.status == 429 else {}
        headers.update(reply.headers)
        if reply.raw_body is not None:
            content_type = headers.pop("content-type", "application/json")
            self.send_bytes(reply.status, reply.raw_body, content_type, headers)
        else:
            self.send_json(reply.status, _error_body(reply.status, reply.content), headers)


# -- helpers ----------------------------------------------------------------------------------

_TOKEN_RE = re.compile(r"\w+|\s+|[^\w\s]+")

_ERROR_KINDS: dict[int, tuple[str, str | None, str]] = {
    400: ("invalid_request_error", None, "Invalid request."),
    401: ("invalid_request_error", "invalid_api_key", "Incorrect API key provided."),
    403: ("invalid_request_error", "unsupported_country_region_territory", "Forbidden."),
    404: ("invalid_request_error", None, "Not found."),
    409: ("invalid_request_error", None, "Conflict."),
    422: ("invalid_request_error", None, "Unprocessable entity."),
    429: ("requests", "rate_limit_exceeded", "Rate limit reached. Please try again later."),
}


def _error_body(
    status: int, message: str | None = None, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    default = ("server_error", None, "The server had an error while processing your request.")
    kind, default_code, default_message = _ERROR_KINDS.get(status, default)
    return {
        "error": {
            "message": message or default_message,
            "type": kind,
            "param": param,
            "code": code or default_code,
        }
    }


def _route(path: str) -> str:
    """``/v1/chat/completions`` -> ``/chat/completions`` (the ``/v1`` prefix is optional)."""
    path = path.rstrip("/") or "/"
    return path[3:] if path.startswith("/v1/") else path


def _score_json(score: int, rationale: str, tags: Iterable[str]) -> str:
    return json.dumps({"score": score, "rationale": rationale, "tags": list(tags)})


def _log(p: float) -> float:
    return math.log(p) if p > 0 else UNLIKELY


def _token_json(token: str, logprob: float) -> dict[str, Any]:
    return {"token": token, "logprob": logprob, "bytes": list(token.encode("utf-8"))}


def _logprobs_json(tokens: list[LogprobToken], top_n: int) -> dict[str, Any]:
    return {
        "content": [
            {
                **_token_json(token, logprob),
                "top_logprobs": [_token_json(t, lp) for t, lp in top[:top_n]],
            }
            for token, logprob, top in tokens
        ],
        "refusal": None,
    }


def _sse(completion: dict[str, Any], request: dict[str, Any]) -> bytes:
    """The completion as ``chat.completion.chunk`` server-sent events, ending in ``[DONE]``."""
    base = {k: completion[k] for k in ("id", "created", "model", "system_fingerprint")}
    base["object"] = "chat.completion.chunk"
    events = []
    for choice in completion["choices"]:
        delta = {"role": "assistant", "content": choice["message"]["content"]}
        first = {"index": choice["index"], "delta": delta, "logprobs": choice["logprobs"]}
        last = {"index": choice["index"], "delta": {}, "finish_reason": choice["finish_reason"]}
        events.append({**base, "choices": [{**first, "finish_reason": None}]})
        events.append({**base, "choices": [last]})
    if (request.get("stream_options") or {}).get("include_usage"):
        events.append({**base, "choices": [], "usage": completion["usage"]})
    out = b"".join(b"data: " + json.dumps(e).encode("utf-8") + b"\n\n" for e in events)
    return out + b"data: [DONE]\n\n"


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(row).encode("utf-8") + b"\n" for row in rows)


def _model(model_id: str) -> dict[str, Any]:
    return {"id": model_id, "object": "model", "created": 0, "owned_by": "fake-openai"}


def _disposition_param(disposition: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{name}="((?:[^"\\]|\\.)*)"', disposition)
    if match is None:
        match = re.search(rf"(?:^|;)\s*{name}=([^;\s]+)", disposition)
    return match.group(1) if match else None


def _parse_multipart(
    body: bytes, content_type: str
) -> tuple[dict[str, str], dict[str, tuple[str, bytes]]]:
    """Text fields and ``{name: (filename, bytes)}`` files of a multipart/form-data body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    fields: dict[str, str] = {}
    files: dict[str, tuple[str, bytes]] = {}
    if match is None:
        return fields, files
    delimiter = b"--" + match.group(1).encode("latin-1")
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        headers = {}
        for line in head.decode("utf-8", "replace").split("\r\n"):
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        filename = _disposition_param(disposition, "filename")
        if filename is None:
            fields[name] = content.decode("utf-8", "replace")
        else:
            files[name] = (filename, content)
    return fields, files
