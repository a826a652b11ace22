"""The dashboard `/`: one row per token, sorted, filtered and paginated on the server."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import PoolFactory, TokenFactory
from tests.pages.html import Node, parse
from tokens.models import Token

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def token_rows(html: bytes) -> list[Node]:
    return [row for row in parse(html).find_all("tr") if "data-mint" in row.attrs]


def symbols(html: bytes) -> list[str]:
    return [row.find("b", class_="symbol").text() for row in token_rows(html)]


def cells(row: Node) -> list[str]:
    return [cell.text() for cell in row.find_all("td")]


def scored(symbol: str, smoothed: float | None, **fields: object) -> Token:
    values = {"score": smoothed, "status": Token.Status.ACTIVE, **fields}
    return TokenFactory(symbol=symbol, smoothed_score=smoothed, **values)


def test_it_shows_one_row_per_token_with_every_value() -> None:
    token = TokenFactory(
        symbol="AAA",
        name="Alpha Dog",
        status=Token.Status.ACTIVE,
        image_url="https://cdn.example/a.png",
        score=0.91234,
        smoothed_score=0.8,
        smoothed_components={
            "tx_accel": 1.5,
            "vol_momentum": 2.25,
            "token_freshness": 0.5,
            "orderflow_imbalance": -0.1,
            "final_score": 0.8,
        },
        raw_components={"tx_accel": 1.75},
        liquidity_usd=36295.05,
        tx_5m=953,
        volume_5m=54232.17,
        price_usd=0.00006541,
        market_cap_usd=65_412.9,
        price_change_5m=12.34,
        price_change_1h=-3.0,
        migrated_at=timezone.now() - timedelta(minutes=12, seconds=5),
    )
    PoolFactory(token=token, dex_id="pumpswap", liquidity_usd=30_000)
    PoolFactory(token=token, dex_id="meteora", liquidity_usd=20_000, kept=False)
    PoolFactory(token=token, dex_id="pumpswap", liquidity_usd=10_000)

    response = Client().get("/")

    (row,) = token_rows(response.content)
    assert response.status_code == 200
    assert row.attrs["data-mint"] == token.mint_address
    mint = token.mint_address
    assert cells(row) == [
        f"☆ AAA Alpha Dog {mint[:4]}…{mint[-4:]}",
        "0.800",
        "",  # no flag
        "$0.0₄6541",
        "$65.4K",
        "+12.3%",
        "-3.0%",
        "$36.3K",
        "953",
        "$54.2K",
        "12m",
        "no data yet",  # never scored: no data age
        "active",
        "0.912",
        "1.50",
        "2.25",
        "0.50",
        "-0.10",
        "pumpswap×2 meteora",  # noqa: RUF001
        "DS SS",
    ]
    changes = [row.find("td", data_col=c).classes() for c in ("change_5m", "change_1h")]
    assert changes == [{"c-pct", "up"}, {"c-pct", "down"}]
    assert [badge.classes() for badge in row.find_all("span", class_="dex")] == [
        {"dex", "kept"},
        {"dex"},
    ]
    links = [a.attrs["href"] for a in row.find("td", class_="c-links").find_all("a")]
    assert links == [
        f"https://dexscreener.com/solana/{token.mint_address}",
        f"https://solscan.io/token/{token.mint_address}",
    ]
    assert row.find("a", class_="token-link").attrs["href"] == f"/tokens/{token.mint_address}/"
    assert row.find("img").attrs["src"] == "https://cdn.example/a.png"
    assert row.find("td", class_="c-comp").attrs["title"] == "raw 1.750 · smoothed 1.500"


def test_it_lists_tokens_by_smoothed_score_unscored_last() -> None:
    scored("MID", 0.5)
    scored("NONE", None)
    scored("TOP", 0.9)
    scored("LOW", 0.1)

    response = Client().get("/")

    assert symbols(response.content) == ["TOP", "MID", "LOW", "NONE"]


def test_the_page_is_a_whole_document_and_the_partial_only_the_table() -> None:
    scored("TOP", 0.9)

    page = Client().get("/")
    partial = Client().get("/", **HTMX)

    assert page.content.startswith(b"<!doctype html>")
    assert b'id="filters"' in page.content
    assert partial.content.lstrip().startswith(b'<section id="token-table"')
    assert b"<html" not in partial.content
    assert b'id="filters"' not in partial.content
    assert symbols(partial.content) == ["TOP"]
    assert "HX-Request" in partial["Vary"]


def test_a_history_restore_gets_the_whole_page() -> None:
    response = Client().get("/", HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert response.content.startswith(b"<!doctype html>")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("symbol", ["A", "B", "C"]),
        ("-symbol", ["C", "B", "A"]),
        ("-score", ["B", "C", "A"]),
        ("liquidity", ["C", "A", "B"]),
        ("-tx_5m", ["A", "C", "B"]),
        ("age", ["C", "B", "A"]),  # youngest first
        ("-tx_accel", ["B", "A", "C"]),
        ("bogus", ["A", "B", "C"]),  # unknown: the default, smoothed score descending
    ],
)
def test_it_sorts_on_the_server(sort: str, expected: list[str]) -> None:
    now = timezone.now()
    scored("A", 0.9, liquidity_usd=200, tx_5m=30, migrated_at=now - timedelta(hours=3),
           smoothed_components={"tx_accel": 2.0}, score=0.1)  # fmt: skip
    scored("B", 0.5, liquidity_usd=300, tx_5m=10, migrated_at=now - timedelta(hours=2),
           smoothed_components={"tx_accel": 3.0}, score=0.7)  # fmt: skip
    scored("C", 0.2, liquidity_usd=100, tx_5m=20, migrated_at=now - timedelta(hours=1),
           smoothed_components={"tx_accel": 1.0}, score=0.4)  # fmt: skip

    response = Client().get("/", {"sort": sort})

    assert symbols(response.content) == expected


def test_each_header_links_to_the_next_sort_keeping_the_filters() -> None:
    response = Client().get("/", {"sort": "-score", "search": "A", "page": "1"})

    headers = parse(response.content).find("thead").find_all("a")
    by_key = {a.attrs["data-sort"]: a for a in headers}
    assert list(by_key) == [
        "symbol",
        "smoothed_score",
        "price",
        "market_cap",
        "change_5m",
        "change_1h",
        "liquidity",
        "tx_5m",
        "volume_5m",
        "age",
        "status",
        "score",
        "tx_accel",
        "vol_momentum",
        "token_freshness",
        "orderflow_imbalance",
        "pools",
    ]
    assert by_key["score"].attrs["href"] == "/?search=A&sort=score"  # sorted by it: flip
    assert by_key["liquidity"].attrs["href"] == "/?search=A&sort=-liquidity"
    assert by_key["symbol"].attrs["href"] == "/?search=A&sort=symbol"  # names: A to Z first
    assert by_key["score"].attrs["hx-get"] == by_key["score"].attrs["href"]
    assert by_key["score"].attrs["hx-push-url"] == "true"
    assert by_key["score"].text() == "Raw ▼"
    sorted_header = parse(response.content).find("th", aria_sort="descending")
    assert sorted_header.text() == "Raw ▼"


def test_the_table_polls_its_own_url_and_carries_its_state_into_the_filter_form() -> None:
    response = Client().get("/", {"status": "active", "sort": "symbol", "hot": "on", "page": "2"})

    section = parse(response.content).find("section", id="token-table")
    hidden = {i.attrs["name"]: i.attrs["value"] for i in section.find_all("input", form="filters")}
    assert section.attrs["hx-get"] == "/?status=active&sort=symbol&hot=on&page=2"
    assert section.attrs["hx-trigger"] == "every 5s, watchlist from:body, resume from:body"
    assert hidden == {"status": "active", "sort": "symbol"}


def test_status_tabs_count_every_status_and_filter() -> None:
    scored("A1", 0.5)
    TokenFactory(symbol="M1", status=Token.Status.MONITORING)
    TokenFactory(symbol="M2", status=Token.Status.MONITORING)
    TokenFactory(symbol="X1", status=Token.Status.ARCHIVED)

    live = Client().get("/")
    archived = Client().get("/", {"status": "archived"})

    tabs = parse(live.content).find("nav", aria_label="Status").find_all("a")
    assert [(tab.text(), tab.attrs["href"]) for tab in tabs] == [
        ("Live 3", "/"),
        ("Monitoring 2", "/?status=monitoring"),
        ("Active 1", "/?status=active"),
        ("Archived 1", "/?status=archived"),
    ]
    assert tabs[0].attrs["aria-current"] == "page"
    assert sorted(symbols(live.content)) == ["A1", "M1", "M2"]
    assert symbols(archived.content) == ["X1"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"search": "dog"}, ["DOGE"]),  # name or symbol, any case
        ({"search": "Cat Coin"}, ["CAT"]),
        ({"min_score": "0.4"}, ["DOGE", "CAT"]),
        ({"min_score": "abc"}, ["DOGE", "CAT", "OLD"]),  # invalid: ignored
        ({"hot": "on"}, ["DOGE", "CAT"]),  # the settings' min_score is 0.3
        ({"fresh": "on"}, ["DOGE", "CAT"]),  # migrated within 6 hours
    ],
)
def test_filters_narrow_the_rows(params: dict[str, str], expected: list[str]) -> None:
    now = timezone.now()
    scored("DOGE", 0.9, name="Doge", migrated_at=now - timedelta(hours=1))
    scored("CAT", 0.45, name="Cat Coin", migrated_at=now - timedelta(hours=5))
    scored("OLD", 0.2, name="Old", migrated_at=now - timedelta(hours=7))

    response = Client().get("/", {**params, "sort": "-score"})

    assert symbols(response.content) == expected


def test_a_search_by_mint_prefix_finds_the_token() -> None:
    token = scored("MINT", 0.5)
    scored("OTHER", 0.6)

    response = Client().get("/", {"search": token.mint_address[:10]})

    assert symbols(response.content) == ["MINT"]


def test_it_paginates_keeping_sort_and_filters(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("moon.web.pages.tokens.PAGE_SIZE", 2)
    for n, symbol in enumerate(["A", "B", "C", "D", "E"]):
        scored(symbol, 0.9 - n / 10)

    first = Client().get("/", {"sort": "symbol"})
    last = Client().get("/", {"sort": "symbol", "page": "3"})

    assert symbols(first.content) == ["A", "B"]
    assert symbols(last.content) == ["E"]
    pager = parse(first.content).find("nav", class_="pager")
    assert pager.text() == "1–2 of 5 ‹ Prev Page 1 / 3 Next ›"  # noqa: RUF001
    assert pager.find("a", rel="next").attrs["href"] == "/?sort=symbol&page=2"
    assert parse(last.content).find("a", rel="prev").attrs["href"] == "/?sort=symbol&page=2"


def test_an_empty_dashboard_says_it_waits_for_migrations() -> None:
    response = Client().get("/")

    assert parse(response.content).find("tr", class_="empty").text() == (
        "No tokens yet: moon is waiting for the next migration."
    )


def test_an_empty_dashboard_names_what_is_down_and_since_when() -> None:
    from datetime import UTC, datetime

    from moon.operations.models import Dependency

    since = datetime(2026, 3, 1, 12, 0, 5, tzinfo=UTC)
    Dependency.objects.create(name="database", status="ok", since=since)
    Dependency.objects.create(
        name="dexscreener", status="degraded", since=since, reason="DexScreener: 3 of 9 failed"
    )
    Dependency.objects.create(
        name="listener",
        status="failing",
        since=since,
        reason="the PumpPortal feed is unreachable for 400s (DNS failed)",
    )

    response = Client().get("/")

    troubles = parse(response.content).find("ul", class_="troubles").find_all("li")
    assert [item.text() for item in troubles] == [
        "listener failing since 12:00:05 UTC: the PumpPortal feed is unreachable for 400s "
        "(DNS failed)",
        "dexscreener degraded since 12:00:05 UTC: DexScreener: 3 of 9 failed",
    ]


def test_the_body_sends_the_csrf_token_with_every_htmx_request() -> None:
    client = Client()
    response = client.get("/")

    body = parse(response.content).find("body")
    assert body.attrs["hx-headers"].startswith('{"X-CSRFToken": "')
    assert "csrftoken" in response.cookies


def test_the_page_loads_htmx_from_our_static_files() -> None:
    response = Client().get("/")

    scripts = [s.attrs["src"] for s in parse(response.content).find_all("script")]
    assert scripts == [
        "/static/vendor/htmx/htmx-2.0.11.min.js",
        "/static/vendor/htmx-ext-sse/htmx-ext-sse-2.2.4.min.js",
        "/static/moon/moon.js",
    ]


def query_count(path: str, **extra: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = Client().get(path, **extra)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("extra", [{}, HTMX])
def test_the_query_count_does_not_grow_with_the_tokens(extra: dict[str, str]) -> None:
    first = scored("A", 0.5)
    PoolFactory(token=first)
    one = query_count("/", **extra)
    for symbol in ("B", "C"):
        token = scored(symbol, 0.4)
        PoolFactory(token=token, dex_id="meteora")
        PoolFactory(token=token, dex_id="raydium")

    three = query_count("/", **extra)

    # settings, page count, newest snapshot, the tabs' counts, tokens, their pools
    assert (one, three) == (6, 6)


def test_the_favicon_is_found_where_browsers_look(client: Client) -> None:
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith(".svg")
    assert "favicon" in response["Location"]


def test_a_stale_row_shows_its_age_and_a_fallback_is_marked(client: Client) -> None:
    now = timezone.now()
    TokenFactory(symbol="LIVE", score=0.1, smoothed_score=0.1, scored_at=now)
    TokenFactory(symbol="OLD", score=0.1, smoothed_score=0.1, scored_at=now - timedelta(minutes=5))
    TokenFactory(symbol="FELL", score=0.4, smoothed_score=0.4, scored_at=now,
                 metrics={"fallback": "fallback"})  # fmt: skip

    page = parse(client.get("/").content)
    cells = {
        row.find("b", class_="symbol").text(): row.find("td", data_col="data_age")
        for row in page.find_all("tr") if "data-mint" in row.attrs
    }  # fmt: skip

    assert "stale" not in cells["LIVE"].classes()
    assert "stale" in cells["OLD"].classes()  # cold: 2 x 120 s passed
    assert cells["OLD"].text() == "5m stale"
    assert cells["FELL"].find("span", class_="bad").text() == "fallback"
    assert not page.find_all("div", data_banner="stale")  # LIVE and FELL are fresh


def test_stale_data_raises_a_banner_naming_what_is_down(client: Client) -> None:
    from moon.operations.models import Dependency

    old = timezone.now() - timedelta(minutes=10)
    TokenFactory(symbol="OLD", score=0.1, smoothed_score=0.1, scored_at=old)
    Dependency.objects.create(name="workers", status="failing", since=old,
                              reason="no Celery worker alive")  # fmt: skip

    page = parse(client.get("/").content)

    banner = page.find("div", data_banner="stale")
    assert "The data is stale: the newest snapshot is 10m old" in banner.text()
    assert "workers failing" in banner.text()
    assert "no Celery worker alive" in banner.text()
    assert "(10m ago)" in page.find("span", class_="updated").text()


def test_rows_keep_their_image_across_polls_and_show_a_short_mint(client: Client) -> None:
    token = TokenFactory(symbol="IMG", image_url="https://example.com/img.png")

    row = token_rows(client.get("/", HTTP_HX_REQUEST="true").content)[0]

    image = row.find("img")
    assert image.attrs["id"] == f"img-{token.mint_address}"
    assert "hx-preserve" in image.attrs  # htmx keeps the loaded element: no fetch per poll
    short = row.find("code", class_="mint-short")
    assert short.text() == f"{token.mint_address[:4]}…{token.mint_address[-4:]}"
    assert short.attrs["title"] == f"{token.mint_address}: click to copy"
    assert short.attrs["data-copy"] == token.mint_address
