"""GET /api/stream/ served by uvicorn (as the web process runs it), read by a real SSE client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import redis
from django.conf import settings
from django.test import Client

from moon.lib.events import EVENTS_STREAM, Event, publish
from tests.asgi import AsgiServer, serving_asgi
from tests.factories import fake_address
from tests.sse import SseClient

MINT_A, MINT_B = fake_address(900_001), fake_address(900_002)


@pytest.fixture
def server(transactional_db: None) -> Iterator[AsgiServer]:
    with serving_asgi() as served:
        yield served


def tell(kind: str, mint: str = MINT_A, **data: object) -> None:
    publish([Event(kind, mint, data)])


def stream(server: AsgiServer, **params: str) -> SseClient:
    last = params.pop("last_event_id_header", "")
    client = SseClient(f"{server.url}/api/stream/", last_event_id=last, params=params)
    assert client.status == 200, client.status
    return client


def test_a_client_receives_each_event_with_its_id_kind_and_token(server: AsgiServer) -> None:
    client = stream(server)
    tell("migration", signature="sig1")
    tell("score", token={"smoothed_score": 42.0, "symbol": "MOON"}, previous_smoothed=None)

    first, second = client.events(2)

    assert (first.event, second.event) == ("migration", "score")
    assert first.json()["mint"] == MINT_A
    assert first.json()["signature"] == "sig1"
    assert second.json()["token"]["smoothed_score"] == 42.0
    assert first.id < second.id
    assert first.json()["id"] == first.id
    assert client.headers["content-type"].startswith("text/event-stream")
    assert client.headers["cache-control"] == "no-cache"
    client.close()


def test_a_reconnect_with_last_event_id_misses_none_and_repeats_none(server: AsgiServer) -> None:
    """Events keep coming while the client hangs up and comes back four times: every event
    arrives exactly once, in order."""
    told = 120
    done = threading.Event()

    def keep_telling() -> None:
        for n in range(told):
            tell("score", token={"smoothed_score": float(n)})
            time.sleep(0.005)
        done.set()

    received: list[str] = []
    client = stream(server)
    telling = threading.Thread(target=keep_telling)
    telling.start()
    for _ in range(4):
        received += [event.id for event in client.events(15)]
        client.close()
        client = stream(server, last_event_id_header=received[-1])
    done.wait(10)
    received += [event.id for event in client.events(told - len(received))]
    telling.join()
    client.close()

    in_stream = [
        entry_id.decode()
        for entry_id, _ in redis.Redis.from_url(settings.REDIS_URL).xrange(EVENTS_STREAM)
    ]
    assert received == in_stream
    assert len(received) == told == len(set(received))


def test_the_query_resumes_too_and_filters_by_kind_mint_and_score(server: AsgiServer) -> None:
    tell("migration")
    redis_ids = redis.Redis.from_url(settings.REDIS_URL).xrange(EVENTS_STREAM)
    after = redis_ids[-1][0].decode()
    tell("hot", MINT_A, token={"smoothed_score": 70.0})
    tell("hot", MINT_B, token={"smoothed_score": 80.0})
    tell("score", MINT_B, token={"smoothed_score": 30.0})
    tell("cold", MINT_B, token={"smoothed_score": 20.0})

    client = stream(server, last_event_id=after, kinds="hot,score", mint=MINT_B)
    assert [(e.event, e.json()["token"]["smoothed_score"]) for e in client.events(2)] == [
        ("hot", 80.0),
        ("score", 30.0),
    ]
    client.close()
    client = stream(server, last_event_id=after, min_score="50")
    assert [e.json()["mint"] for e in client.events(2)] == [MINT_A, MINT_B]
    client.close()


def test_events_can_be_named_by_their_token_for_the_dashboard(server: AsgiServer) -> None:
    client = stream(server, name_by="mint")
    tell("score", MINT_B, token={"smoothed_score": 1.0})
    (event,) = client.events(1)
    assert event.event == MINT_B
    assert event.json()["kind"] == "score"
    client.close()


def test_an_idle_stream_sends_heartbeats(server: AsgiServer, settings: Any) -> None:
    settings.STREAM_HEARTBEAT_SECONDS = 0.2
    client = stream(server)
    assert client.comment(timeout=3) == "heartbeat"
    client.close()


def test_a_resume_past_the_trimmed_part_says_gap_first(server: AsgiServer) -> None:
    for n in range(5):
        tell("score", token={"smoothed_score": float(n)})
    entries = redis.Redis.from_url(settings.REDIS_URL).xrange(EVENTS_STREAM)
    redis.Redis.from_url(settings.REDIS_URL).xtrim(EVENTS_STREAM, maxlen=2, approximate=False)

    client = stream(server, last_event_id_header=entries[0][0].decode())
    gap, *kept = client.events(3)

    assert gap.event == "gap"
    assert gap.json() == {"after": entries[0][0].decode()}
    assert [e.id for e in kept] == [entry_id.decode() for entry_id, _ in entries[-2:]]
    client.close()


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("kinds=hot,bogus", "kinds", "'bogus' is not an event kind"),
        ("mint=nope", "mint", "'nope' is not a Solana mint address"),
        ("min_score=abc", "min_score", "A score from 0 to 100."),
        ("min_score=101", "min_score", "A score from 0 to 100."),
        ("name_by=symbol", "name_by", "'symbol' is neither of kind, mint."),
        ("last_event_id=yesterday", "last_event_id", "'yesterday' is not an event id"),
        ("page=2", "page", "Unknown query parameter"),
    ],
)
def test_a_bad_query_is_refused_naming_it(
    server: AsgiServer, query: str, field: str, message: str
) -> None:
    response = httpx.get(f"{server.url}/api/stream/?{query}", timeout=10)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert message in error["fields"][field][0]


def test_a_bad_last_event_id_header_is_refused(server: AsgiServer) -> None:
    response = httpx.get(f"{server.url}/api/stream/", headers={"Last-Event-ID": "x"}, timeout=10)
    assert response.status_code == 400
    assert "Last-Event-ID" in response.json()["error"]["fields"]


def test_without_redis_the_stream_answers_503_to_come_back(
    server: AsgiServer, settings: Any
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:9/0"
    response = httpx.get(f"{server.url}/api/stream/", timeout=10)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["error"]["code"] == "stream_unavailable"


def test_a_wsgi_server_refuses_the_stream_rather_than_hold_a_thread(db: None) -> None:
    response = Client().get("/api/stream/")
    assert response.status_code == 503
    assert "ASGI" in response.json()["error"]["message"]


def test_the_schema_documents_the_stream(db: None) -> None:
    schema = Client().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/stream/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"kinds", "mint", "min_score", "last_event_id", "name_by", "Last-Event-ID"} <= names
    assert "text/event-stream" in operation["responses"]["200"]["content"]


def test_the_asgi_server_keeps_a_clients_request_id_and_guards_urls(server: AsgiServer) -> None:
    """The middleware that run both ways do so under ASGI too."""
    answer = httpx.get(
        f"{server.url}/api/tokens/?limit=1", headers={"X-Request-ID": "client-abc-123"}, timeout=10
    )
    assert answer.status_code == 200
    assert answer.headers["x-request-id"] == "client-abc-123"
    refused = httpx.get(f"{server.url}/api/tokens/?search=%00", timeout=10)
    assert refused.status_code == 400
    assert refused.json()["error"]["code"] == "bad_request"
    static = httpx.get(f"{server.url}/static/moon/moon.js", timeout=10)
    assert static.status_code == 200
