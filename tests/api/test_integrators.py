"""What an integrator relies on: strict parameters, JSON everywhere under /api/, rate-limit
headers, conditional GETs, a task's state, and a cursor walk that sees every token once."""

import random
from typing import Any

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.test import Client, override_settings
from django.urls import path

from moon.celery import app
from moon.lib.apiview import ApiView
from scoring.models import ScoringSettings
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db

URL = "/api/tokens/"


def walk(client: Client, first: str, between: Any = None) -> list[str]:
    """Every mint of a walk from `first` along the `next` links; `between` runs between pages."""
    mints: list[str] = []
    url: str | None = first
    while url:
        body = client.get(url).json()
        mints += [row["mint_address"] for row in body["results"]]
        url = body["next"]
        if between is not None:
            between()
    return mints


def test_unknown_query_parameters_are_refused_by_name(client: Client) -> None:
    response = client.get(URL, {"page": 2, "limt": 5})

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert sorted(fields) == ["limt", "page"]
    assert fields["page"][0].startswith(
        "Unknown query parameter (known: cursor, exclude_flags, flags, fresh_hours"
    )


def test_an_endpoint_without_parameters_refuses_any(client: Client) -> None:
    response = client.get("/api/settings/", {"verbose": "1"})

    assert response.status_code == 400
    assert response.json()["error"]["fields"] == {
        "verbose": ["Unknown query parameter (this one takes none)."]
    }


def test_a_bad_status_reads_like_a_sentence(client: Client) -> None:
    response = client.get(URL, {"status": "bogus"})

    assert response.json()["error"]["fields"] == {
        "status": ['"bogus" is not a token status; give monitoring, active, archived.']
    }


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/nope/", 404, "not_found"),
        ("get", "/api/tokens/x/y/z/nothing/", 400, "invalid_mint"),
        ("delete", "/api/nope/deeper/", 404, "not_found"),
        (
            "get",
            "/api/tokens/9BB6NFEcjBCtnNLFko2FqVQBq8HHM13kCyYcdQbgpump/refresh/",
            405,
            "method_not_allowed",
        ),
        ("put", "/api/settings/", 401, "not_authenticated"),
    ],
)
def test_every_path_under_api_answers_json(
    client: Client, method: str, path: str, status: int, code: str
) -> None:
    response = getattr(client, method)(path)

    assert (response.status_code, response["Content-Type"]) == (status, "application/json")
    assert response.json()["error"]["code"] == code


class Broken(ApiView):
    def get(self, request: Any) -> Any:
        raise RuntimeError("a defect")


urlpatterns = [path("api/broken/", Broken.as_view())]


@override_settings(ROOT_URLCONF=__name__)
def test_a_defect_under_api_is_a_json_500() -> None:
    response = Client(raise_request_exception=False).get("/api/broken/")

    assert (response.status_code, response.json()["error"]["code"]) == (500, "server_error")


def test_every_token_says_whether_it_is_hot(client: Client) -> None:
    min_score = ScoringSettings.objects.active().min_score
    TokenFactory(symbol="HOT", smoothed_score=min_score)
    TokenFactory(symbol="COLD", smoothed_score=min_score - 0.01)
    TokenFactory(symbol="NEW", smoothed_score=None)

    rows = client.get(URL).json()["results"]

    assert {row["symbol"]: row["hot"] for row in rows} == {"HOT": True, "COLD": False, "NEW": False}


def test_metrics_carry_one_name_per_value(client: Client, known_token: Token) -> None:
    metrics = client.get(URL).json()["results"][0]["metrics"]

    assert {"tx_5m", "vol_5m"} <= set(metrics)
    assert not {"tx_count_5m", "tx_count_1h", "volume_5m", "volume_1h"} & set(metrics)


def test_throttled_answers_carry_rate_limit_headers(client: Client, throttle_rates: Any) -> None:
    throttle_rates(anon="3/min")

    answers = [client.get(URL) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert {a["RateLimit-Limit"] for a in answers} == {"3"}
    assert all(0 < int(a["RateLimit-Reset"]) <= 60 for a in answers)


def test_an_unchanged_answer_is_a_304(client: Client, known_token: Token) -> None:
    for url in (URL, f"{URL}{known_token.mint_address}/"):
        first = client.get(url)
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert (first.status_code, again.status_code, again.content) == (200, 304, b"")

    Token.objects.filter(pk=known_token.pk).update(smoothed_score=0.1)  # a refresh moved it
    changed = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200


def test_offset_paging_over_a_live_ranking_repeats_or_skips(client: Client) -> None:
    """The caveat the cursor answers: scores move between two offset pages."""
    tokens = [TokenFactory(smoothed_score=i / 100) for i in range(30)]
    seen = walk(client, f"{URL}?limit=10", between=lambda: _reshuffle(tokens, seed=3))

    assert sorted(seen) != sorted(t.mint_address for t in tokens)


def test_a_cursor_walk_over_a_live_ranking_sees_every_token_exactly_once(client: Client) -> None:
    tokens = [TokenFactory(smoothed_score=i / 100) for i in range(95)]
    moves = iter(range(100))

    seen = walk(
        client,
        f"{URL}?paging=cursor&limit=10",
        between=lambda: _reshuffle(tokens, seed=next(moves)),
    )

    assert len(seen) == len(set(seen)) == 95
    assert set(seen) == {t.mint_address for t in tokens}


def test_a_cursor_page_shows_current_values_in_the_frozen_order(client: Client) -> None:
    low, high = TokenFactory(smoothed_score=0.1), TokenFactory(smoothed_score=0.9)
    first = client.get(URL, {"paging": "cursor", "limit": 1}).json()
    Token.objects.filter(pk=low.pk).update(smoothed_score=0.99)  # overtakes after the freeze

    second = client.get(first["next"]).json()

    assert [r["mint_address"] for r in first["results"]] == [high.mint_address]
    assert [(r["mint_address"], r["smoothed_score"]) for r in second["results"]] == [
        (low.mint_address, 0.99)
    ]
    assert (second["offset"], second["next"]) == (1, None)


@pytest.mark.parametrize(
    ("cursor", "message"),
    [("abc", "Not a cursor moon gave out"), ("A" * 16 + ".0", "ranking expired")],
)
def test_a_bad_or_expired_cursor_is_a_400(client: Client, cursor: str, message: str) -> None:
    response = client.get(URL, {"paging": "cursor", "cursor": cursor})

    assert response.status_code == 400
    assert message in response.json()["error"]["fields"]["cursor"][0]


def _reshuffle(tokens: list[Token], *, seed: int) -> None:
    rng = random.Random(seed)
    for token in tokens:
        Token.objects.filter(pk=token.pk).update(smoothed_score=rng.random())


def test_an_unknown_task_is_a_404(client: Client) -> None:
    response = client.get("/api/tasks/0b7f3a52-5d6e-4c1e-9a55-1f0c2d3e4f5a/")

    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
def test_a_queued_recalculation_can_be_followed_to_its_result(
    staff_client: Client, redis_client: redis.Redis
) -> None:
    TokenFactory.create_batch(3)
    queued = staff_client.post("/api/admin/recalculate/").json()
    task_url = f"/api/tasks/{queued['task_id']}/"

    before = Client().get(task_url).json()  # anyone holding the id may follow it
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        app.AsyncResult(queued["task_id"]).get(timeout=60)
    after = Client().get(task_url).json()

    assert (before["state"], before["ready"], before["name"]) == (
        "PENDING",
        False,
        "scoring.recalculate",
    )
    assert (after["state"], after["ready"], after["error"]) == ("SUCCESS", True, "")
    assert after["result"]["tokens"] == 3


def test_a_token_carries_its_primary_pools_market(client: Client) -> None:
    from django.utils import timezone

    from scoring.services.refresh import tokens_score
    from tests.factories import fake_address
    from tests.pairs import pair

    token = TokenFactory(migrated_at=timezone.now())
    big = pair(token.mint_address, fake_address(501))
    small = pair(
        token.mint_address,
        fake_address(502),
        liquidity={"usd": 10.0, "base": 1.0, "quote": 1.0},
        priceUsd="0.5",
        marketCap=1,
    )
    tokens_score(token_ids=[token.pk], pairs={token.mint_address: [small, big]}, errors={})

    row = client.get(f"{URL}{token.mint_address}/").json()

    assert (row["price_usd"], row["market_cap_usd"]) == (0.0002035, 203536.0)
    assert (row["price_change_5m"], row["price_change_1h"]) == (3.5, 418.0)
