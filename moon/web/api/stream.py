"""GET /api/stream/: moon's events (moon.lib.events) as Server-Sent Events.

An async view: under ASGI (the web process runs uvicorn workers) an open stream is a coroutine
waiting on its queue, not a thread. Every stream of a process reads from one EventHub, which
reads Redis once per entry.

A client that comes back with Last-Event-ID (EventSource does it by itself), or
?last_event_id=, first gets what it missed from the capped stream (STREAM_LENGTH events, about
the last hour), then the live events: the hub is subscribed before the backlog is read, and ids
already sent are skipped, so nothing falls between the two and nothing comes twice. An id older
than the stream's oldest entry is answered with a `gap` event first: the client reloads what it
shows. Comments (`: heartbeat`) keep idle connections open through proxies.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponseBase, JsonResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from moon.lib.api import error_payload
from moon.lib.events import (
    EVENTS_STREAM,
    KINDS,
    STREAM_LENGTH,
    Event,
    event_hub,
    read_after_async,
    stream_id,
)
from moon.lib.redis import redis_client
from moon.lib.solana import validate_mint

PARAMETERS = ("kinds", "mint", "min_score", "last_event_id", "name_by")
NAMES = ("kind", "mint")  # what an event's SSE name is: its kind, or its token's mint
BACKLOG_CHUNK = 500
RETRY_MS = 3000  # how soon EventSource reconnects


@dataclass(frozen=True)
class StreamFilter:
    kinds: frozenset[str] = frozenset(KINDS)
    mints: frozenset[str] = frozenset()
    min_score: float | None = None
    name_by: str = "kind"

    def passes(self, event: Event) -> bool:
        if event.kind not in self.kinds:
            return False
        if self.mints and event.mint not in self.mints:
            return False
        if self.min_score is not None:
            smoothed = (event.data.get("token") or {}).get("smoothed_score")
            return smoothed is not None and smoothed >= self.min_score
        return True


def stream_query(params: Mapping[str, str], header_id: str) -> tuple[StreamFilter, str]:
    """The filter and the id to resume after ("" for none) of a request; ValidationError
    naming each refused parameter."""
    errors: dict[str, list[str]] = {}
    for name in sorted(set(params) - set(PARAMETERS)):
        errors[name] = [f"Unknown query parameter (known: {', '.join(sorted(PARAMETERS))})."]
    kinds = frozenset(KINDS)
    if "kinds" in params:
        asked = [kind.strip() for kind in params["kinds"].split(",") if kind.strip()]
        wrong = [kind for kind in asked if kind not in KINDS]
        if wrong or not asked:
            errors["kinds"] = [
                f"{', '.join(map(repr, wrong)) or 'Nothing'} is not an event kind; "
                f"give some of {', '.join(KINDS)}, comma-separated."
            ]
        kinds = frozenset(asked)
    mints: set[str] = set()
    for mint in (m.strip() for m in params.get("mint", "").split(",") if m.strip()):
        try:
            validate_mint(mint)
        except ValidationError:
            errors.setdefault("mint", []).append(
                f"{mint!r} is not a Solana mint address (base58, 32 bytes)."
            )
        mints.add(mint)
    min_score = None
    if "min_score" in params:
        try:
            min_score = float(params["min_score"])
        except ValueError:
            min_score = float("nan")
        if not 0 <= min_score <= 100:
            errors["min_score"] = ["A score from 0 to 100."]
    name_by = params.get("name_by", "kind")
    if name_by not in NAMES:
        errors["name_by"] = [f"{name_by!r} is neither of {', '.join(NAMES)}."]
    last_id = params.get("last_event_id") or header_id
    if last_id:
        try:
            stream_id(last_id)
        except ValueError:
            field = "last_event_id" if "last_event_id" in params else "Last-Event-ID"
            errors[field] = [f"{last_id!r} is not an event id (like 1733150000000-0)."]
    if errors:
        raise ValidationError(errors)
    return StreamFilter(kinds, frozenset(mints), min_score, name_by), last_id


_frames: dict[tuple[str, str], str] = {}


def frame(event: Event, name_by: str = "kind") -> str:
    """The event as SSE text, encoded once per process whatever the number of streams. Its
    name is its kind, or (name_by=mint: the dashboard, whose rows each listen for their own
    token) its token's mint."""
    key = (event.id, name_by)
    text = _frames.get(key)
    if text is None:
        data = json.dumps(event.as_dict(), separators=(",", ":"), default=str)
        name = event.mint if name_by == "mint" else event.kind
        text = f"id: {event.id}\nevent: {name}\ndata: {data}\n\n"
        if len(_frames) >= 2000:
            _frames.clear()
        _frames[key] = text
    return text


@require_GET
async def event_stream(request: HttpRequest) -> HttpResponseBase:
    try:
        where, last_id = stream_query(request.GET, request.headers.get("Last-Event-ID", ""))
    except ValidationError as exc:
        body = error_payload("invalid", "Some values are not valid; see fields.", exc.message_dict)
        return JsonResponse(body, status=400)
    if not isinstance(request, ASGIRequest):
        # A WSGI server (runserver, a test client) would hold a thread per stream, forever.
        return _unavailable("The event stream is served by the ASGI web process (scripts/web).")
    try:
        await asyncio.to_thread(redis_client().ping)
    except redis.RedisError:
        return _unavailable("The event stream (Redis) is unreachable; try again shortly.")
    response = StreamingHttpResponse(_events(where, last_id), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


def _unavailable(message: str) -> JsonResponse:
    refused = JsonResponse(error_payload("stream_unavailable", message), status=503)
    refused["Retry-After"] = "5"
    return refused


async def _events(where: StreamFilter, last_id: str) -> AsyncIterator[str]:
    hub = event_hub()
    subscription = await hub.subscribe()
    heartbeat = settings.STREAM_HEARTBEAT_SECONDS
    try:
        yield f"retry: {RETRY_MS}\n: moon events\n\n"
        sent = stream_id(last_id) if last_id else (0, 0)
        if last_id:
            if await _missed_some(last_id):
                yield f"event: gap\ndata: {json.dumps({'after': last_id})}\n\n"
            while True:
                backlog = await read_after_async(last_id, count=BACKLOG_CHUNK)
                for event in backlog:
                    sent = stream_id(event.id)
                    if where.passes(event):
                        yield frame(event, where.name_by)
                if len(backlog) < BACKLOG_CHUNK:
                    break
                last_id = backlog[-1].id
        while True:
            try:
                live = await asyncio.wait_for(subscription.queue.get(), timeout=heartbeat)
            except TimeoutError:
                yield ": heartbeat\n\n"
                continue
            if live is None:  # dropped: the client comes back with its Last-Event-ID
                return
            position = stream_id(live.id)
            if position <= sent:
                continue
            sent = position
            if where.passes(live):
                yield frame(live, where.name_by)
    finally:
        hub.unsubscribe(subscription)


async def _missed_some(last_id: str) -> bool:
    """Whether the stream was trimmed past `last_id` (it no longer holds that entry), so
    entries after it may be gone."""
    oldest: Any = await asyncio.to_thread(redis_client().xrange, EVENTS_STREAM, count=1)
    return bool(oldest) and stream_id(oldest[0][0].decode()) > stream_id(last_id)


def document_stream(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: /api/stream/ (a plain async view, which the
    generator does not see) in the schema."""

    def query(name: str, description: str, **schema: Any) -> dict[str, Any]:
        return {
            "name": name,
            "in": "query",
            "required": False,
            "description": description,
            "schema": schema or {"type": "string"},
        }

    kinds = ", ".join(f"`{kind}`" for kind in KINDS)
    result.setdefault("paths", {})["/api/stream/"] = {
        "get": {
            "operationId": "stream",
            "tags": ["stream"],
            "summary": "moon's events, live, as Server-Sent Events",
            "description": (
                f"Each event is `id: <stream id>`, `event: <kind>` ({kinds}), and `data:` "
                "one JSON object: `id`, `kind`, `mint`, `at` (Unix seconds, right after the "
                "change committed), and the kind's data. Every kind but `migration` carries "
                "`token` (symbol, scores, `hot`, liquidity, price, flags, ...); `score` adds "
                "`previous_smoothed`, `flags` adds `added` and `removed`. A comment "
                "(`: heartbeat`) comes when nothing else did for STREAM_HEARTBEAT_SECONDS "
                "(15 s).\n\n"
                "Resume: come back with `Last-Event-ID` (EventSource does) or `last_event_id` "
                "and get every event after it that the stream still holds (the last "
                f"{STREAM_LENGTH:,} events), then the live ones: none missed, none twice. "
                "When the stream no longer holds that id, a `gap` event comes first: reload "
                "what you show from /api/tokens/."
            ),
            "parameters": [
                query("kinds", f"Comma-separated kinds to receive ({kinds}); default all."),
                query("mint", "Comma-separated mints: only their events."),
                query(
                    "min_score",
                    "Only events of tokens whose smoothed score is at least this "
                    "(so no `migration`).",
                    type="number",
                    minimum=0,
                    maximum=100,
                ),
                query("last_event_id", "Resume after this event id (as Last-Event-ID)."),
                query(
                    "name_by",
                    "`kind` (default): the SSE event name is the kind; `mint`: the token's "
                    "mint (a page whose rows each listen for their own token).",
                    type="string",
                    enum=list(NAMES),
                ),
                {
                    "name": "Last-Event-ID",
                    "in": "header",
                    "required": False,
                    "description": "The id of the last event received: resume after it.",
                    "schema": {"type": "string"},
                },
            ],
            "responses": {
                "200": {
                    "description": "An endless stream of events.",
                    "content": {"text/event-stream": {"schema": {"type": "string"}}},
                },
                "400": {
                    "description": "A query parameter is refused; `fields` names it.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
                "503": {
                    "description": "The event stream (Redis) is unreachable; `Retry-After`.",
                    "content": {
                        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                    },
                },
            },
        }
    }
    return result
