"""GET /api/tokens/: shape, filters, every sort, pagination, query count."""

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from scoring.models import ScoringSettings
from scoring.selectors import SORTS
from scoring.services.settings import scoring_settings_save
from tests.api.conftest import KNOWN_JSON
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db

URL = "/api/tokens/"


def symbols(response: Any) -> list[str]:
    return [row["symbol"] for row in response.json()["results"]]


def test_it_renders_a_known_token_exactly(client: Client, known_token: Token) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "next": None,
        "previous": None,
        "limit": 50,
        "offset": 0,
        "results": [KNOWN_JSON],
    }


def test_it_hides_archived_tokens_unless_asked(client: Client) -> None:
    TokenFactory(symbol="LIVE", status=Token.Status.ACTIVE)
    TokenFactory(symbol="NEW", status=Token.Status.MONITORING)
    TokenFactory(symbol="GONE", status=Token.Status.ARCHIVED)

    default = client.get(URL, {"sort": "symbol"})
    archived = client.get(URL, {"status": "archived"})

    assert symbols(default) == ["LIVE", "NEW"]
    assert symbols(archived) == ["GONE"]


def test_it_filters_on_several_statuses_repeated_or_comma_separated(client: Client) -> None:
    TokenFactory(symbol="LIVE", status=Token.Status.ACTIVE)
    TokenFactory(symbol="NEW", status=Token.Status.MONITORING)
    TokenFactory(symbol="GONE", status=Token.Status.ARCHIVED)

    repeated = client.get(URL, {"status": ["active", "archived"], "sort": "symbol"})
    commas = client.get(URL, {"status": "active,archived", "sort": "symbol"})

    assert symbols(repeated) == ["GONE", "LIVE"]
    assert symbols(commas) == ["GONE", "LIVE"]


def test_it_filters_on_min_score_over_the_smoothed_score(client: Client) -> None:
    TokenFactory(symbol="LOW", score=0.9, smoothed_score=0.1)
    TokenFactory(symbol="EDGE", score=0.1, smoothed_score=0.5)
    TokenFactory(symbol="HIGH", score=0.1, smoothed_score=0.8)
    TokenFactory(symbol="NONE")

    response = client.get(URL, {"min_score": "0.5"})

    assert symbols(response) == ["HIGH", "EDGE"]


def test_it_searches_mint_prefix_symbol_and_name(client: Client) -> None:
    bonk = TokenFactory(symbol="BONK", name="Bonk Inu")
    TokenFactory(symbol="WIF", name="dogwifhat")
    TokenFactory(symbol="POPCAT", name="Popcat bonkers")

    by_symbol = client.get(URL, {"search": "bon", "sort": "symbol"})
    by_name = client.get(URL, {"search": "WIFH"})
    by_mint = client.get(URL, {"search": bonk.mint_address[:12]})

    assert symbols(by_symbol) == ["BONK", "POPCAT"]
    assert symbols(by_name) == ["WIF"]
    assert symbols(by_mint) == ["BONK"]


def test_it_keeps_tokens_migrated_within_fresh_hours(client: Client) -> None:
    now = timezone.now()
    TokenFactory(symbol="NEW", migrated_at=now - timedelta(hours=1))
    TokenFactory(symbol="OLD", migrated_at=now - timedelta(hours=7))
    TokenFactory(symbol="UNKNOWN", migrated_at=None)

    response = client.get(URL, {"fresh_hours": "6"})

    assert symbols(response) == ["NEW"]


def test_hot_only_follows_the_active_min_score(client: Client) -> None:
    TokenFactory(symbol="WARM", smoothed_score=0.35)
    TokenFactory(symbol="HOT", smoothed_score=0.6)
    scoring_settings_save(changes={"min_score": 0.5})

    response = client.get(URL, {"hot": "true"})

    assert symbols(response) == ["HOT"]


def test_each_rows_hot_follows_the_newest_settings_version(client: Client) -> None:
    TokenFactory(symbol="WARM", smoothed_score=0.35)
    TokenFactory(symbol="HOT", smoothed_score=0.6)

    def hot() -> dict[str, bool]:
        return {row["symbol"]: row["hot"] for row in client.get(URL).json()["results"]}

    ScoringSettings.objects.all().delete()
    assert hot() == {"HOT": True, "WARM": True}  # no version yet: the default line, 0.3
    scoring_settings_save(changes={"min_score": 0.5})
    assert hot() == {"HOT": True, "WARM": False}
    scoring_settings_save(changes={"min_score": 0.7})
    assert hot() == {"HOT": False, "WARM": False}


def test_the_default_sort_is_smoothed_score_descending_nulls_last(client: Client) -> None:
    TokenFactory(symbol="MID", smoothed_score=0.5)
    TokenFactory(symbol="NONE", smoothed_score=None)
    TokenFactory(symbol="TOP", smoothed_score=0.9)

    response = client.get(URL)

    assert symbols(response) == ["TOP", "MID", "NONE"]


# For each sort key: the attributes that rank three tokens A < B < C on it.
SORT_CASES: dict[str, list[dict[str, Any]]] = {
    "score": [{"score": v} for v in (0.1, 0.2, 0.3)],
    "smoothed_score": [{"smoothed_score": v} for v in (0.1, 0.2, 0.3)],
    "liquidity": [{"liquidity_usd": v} for v in (100.0, 2000.0, 30000.0)],
    "tx_5m": [{"tx_5m": v} for v in (1, 20, 300)],
    "volume_5m": [{"volume_5m": v} for v in (1.0, 20.0, 300.0)],
    "tx_1h": [{"metrics": {"tx_1h": v}} for v in (5, 50, 500)],
    "volume_1h": [{"metrics": {"vol_1h": v}} for v in (5.0, 50.0, 500.0)],
    # an older migration is a greater age
    "age": [{"migrated_at": timezone.now() - timedelta(hours=h)} for h in (1, 2, 3)],
    "symbol": [{} for _ in range(3)],  # the symbols themselves: A, B, C
    "status": [{"status": s} for s in ("active", "monitoring", "monitoring")],
    "pools": [{"pool_count": v} for v in (1, 2, 3)],
    "price": [{"price_usd": v} for v in (1e-7, 2e-5, 0.5)],
    "market_cap": [{"market_cap_usd": v} for v in (5e3, 6e4, 7e5)],
    "change_5m": [{"price_change_5m": v} for v in (-50.0, 0.0, 12.5)],
    "change_1h": [{"price_change_1h": v} for v in (-90.0, 3.0, 400.0)],
    **{
        name: [{"smoothed_components": {name: v}} for v in (0.1, 0.2, 0.3)]
        for name in (
            "tx_accel",
            "vol_momentum",
            "token_freshness",
            "orderflow_imbalance",
            "s",
            "l",
            "m",
            "t",
        )
    },
}


def test_every_sort_key_has_a_case() -> None:
    assert set(SORT_CASES) == set(SORTS)


# Where the fourth token is not simply last both ways: its value is not NULL.
NOT_NULL_ORDERS = {
    "symbol": (["A", "B", "C", "Z"], ["Z", "C", "B", "A"]),
    "status": (["A", "B", "C", "N"], ["N", "C", "B", "A"]),  # monitoring ties: by id
    "pools": (["N", "A", "B", "C"], ["C", "B", "A", "N"]),  # pool_count 0, never NULL
}


@pytest.mark.parametrize("key", sorted(SORT_CASES))
def test_it_sorts_on_each_key_both_ways_with_nulls_last(client: Client, key: str) -> None:
    for symbol, attributes in zip("ABC", SORT_CASES[key], strict=True):
        TokenFactory(symbol=symbol, **attributes)
    TokenFactory(symbol="Z" if key == "symbol" else "N", status="monitoring", migrated_at=None)

    ascending = symbols(client.get(URL, {"sort": key}))
    descending = symbols(client.get(URL, {"sort": f"-{key}"}))

    expected = NOT_NULL_ORDERS.get(key, (["A", "B", "C", "N"], ["C", "B", "A", "N"]))
    assert (ascending, descending) == expected


def test_it_pages_with_limit_and_offset_and_links(client: Client) -> None:
    for n in range(5):
        TokenFactory(symbol=f"T{n}", smoothed_score=1 - n / 10)

    first = client.get(URL, {"limit": 2}).json()
    middle = client.get(URL, {"limit": 2, "offset": 2}).json()
    last = client.get(URL, {"limit": 2, "offset": 4}).json()

    assert [row["symbol"] for row in first["results"]] == ["T0", "T1"]
    assert (first["next"], first["previous"]) == (
        "http://testserver/api/tokens/?limit=2&offset=2",
        None,
    )
    assert [row["symbol"] for row in middle["results"]] == ["T2", "T3"]
    assert (middle["next"], middle["previous"]) == (
        "http://testserver/api/tokens/?limit=2&offset=4",
        "http://testserver/api/tokens/?limit=2",
    )
    assert [row["symbol"] for row in last["results"]] == ["T4"]
    assert (last["next"], last["previous"]) == (
        None,
        "http://testserver/api/tokens/?limit=2&offset=2",
    )


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 201}, "limit"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "pricey"}, "sort"),
        ({"status": "dead"}, "status"),
        ({"min_score": "high"}, "min_score"),
        ({"min_score": "nan"}, "min_score"),
        ({"fresh_hours": "-1"}, "fresh_hours"),
        ({"fresh_hours": "1e308"}, "fresh_hours"),
        ({"hot": "maybe"}, "hot"),
        ({"search": "x" * 101}, "search"),
    ],
)
def test_it_refuses_bad_parameters_field_by_field(
    client: Client, params: dict[str, Any], field: str
) -> None:
    response = client.get(URL, params)

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == ("invalid", [field])


@pytest.mark.parametrize("count", [1, 50])
def test_the_list_takes_one_query_whatever_its_size(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    for n in range(count):
        TokenFactory(
            score=n / 100,
            smoothed_score=n / 100,
            raw_components={"tx_accel": 1.0},
            metrics={"data_quality_ok": True},
        )

    with django_assert_num_queries(1):  # the page, which reads the hot line itself
        response = client.get(URL, {"sort": "-score", "limit": 50})

    assert len(response.json()["results"]) == count
