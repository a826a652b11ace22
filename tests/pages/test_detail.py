"""The token page `/tokens/<mint>/`: chart, components, metrics, pools, lifecycle, refresh."""

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis
from django.contrib.messages import get_messages
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save
from tests.factories import PoolFactory, TokenFactory, TokenScoreFactory
from tests.pages.html import Node, parse
from tests.queue import queued_tasks
from tokens.models import Token

# Snapshots of spec v1, shown under the settings v1 shipped with.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("v1_settings")]

HTMX = {"HTTP_HX_REQUEST": "true"}
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
COMPONENTS = {
    "tx_accel": 2.0,
    "vol_momentum": 1.0,
    "token_freshness": 0.5,
    "orderflow_imbalance": -0.2,
    "final_score": 0.8,
}
METRICS = {
    "L_tot": 36295.05,
    "tx_5m": 953,
    "tx_1h": 8880,
    "vol_5m": 54232.17,
    "vol_1h": 305644.82,
    "buys_5m": 529,
    "sells_5m": 424,
    "pool_count": 1,
    "primary_pair_address": "pair",
    "primary_dex_id": "pumpswap",
    "price_usd": 0.0002035,
    "dp5": 0.035,
    "dp15": 1.045,
    "hours_since_migration": 0.25,
    "data_quality_ok": False,
    "data_quality_issues": [
        {"code": "extreme_price_change", "message": "|dp5| above 0.5", "severity": "warning"}
    ],
    "fallback": "degraded",
}


def detail_token(**fields: object) -> Token:
    values = {
        "symbol": "BABY",
        "name": "The Baby Elephant",
        "status": Token.Status.ACTIVE,
        "score": 0.91,
        "smoothed_score": 0.8,
        "scoring_model": "hybrid_momentum",
        "raw_components": {**COMPONENTS, "tx_accel": 3.0},
        "smoothed_components": COMPONENTS,
        "metrics": METRICS,
        "liquidity_usd": 36295.05,
        "created_at": T0,
        "migrated_at": T0 + timedelta(seconds=30),
        "activated_at": T0 + timedelta(minutes=2),
        **fields,
    }
    return TokenFactory(**values)


def snapshots(
    token: Token, scores: list[tuple[float, float]], fallback: str | None = None, start: int = 0
) -> None:
    """One snapshot a minute from T0 + `start` minutes."""
    for i, (score, smoothed) in enumerate(scores, start=start):
        TokenScoreFactory(
            token=token,
            score=score,
            smoothed_score=smoothed,
            created_at=T0 + timedelta(minutes=i),
            metrics={"fallback": fallback, "data_quality_ok": fallback is None},
        )


def page(token: Token, client: Client | None = None, **extra: str) -> Node:
    response = (client or Client()).get(f"/tokens/{token.mint_address}/", **extra)
    assert response.status_code == 200
    return parse(response.content)


def test_the_chart_has_one_point_per_stored_snapshot_with_its_values_on_hover() -> None:
    token = detail_token()
    snapshots(token, [(0.5, 0.5), (0.9, 0.62), (0.2, 0.49)])

    html = page(token)

    svg = html.find("svg", class_="score-chart")
    points = svg.find_all("g", class_="snap")
    assert svg.attrs["data-points"] == "3"
    assert [p.find("title").text() for p in points] == [
        "2026-03-01 12:00:00 UTC score 0.500 smoothed 0.500",
        "2026-03-01 12:01:00 UTC score 0.900 smoothed 0.620",
        "2026-03-01 12:02:00 UTC score 0.200 smoothed 0.490",
    ]
    assert [len(p.find_all("circle")) for p in points] == [2, 2, 2]
    assert len(svg.find_all("polyline")) == 2
    caption = html.find("figcaption").find("span", class_="muted").text()
    assert caption == "3 snapshots · a break in a line: no refresh then · UTC"


def test_the_price_chart_draws_the_stored_prices_with_their_gaps() -> None:
    token = detail_token()
    # every minute, then a 10-minute pause (no refresh), one snapshot without a price
    for minute, value in [(0, 2e-5), (1, 3e-5), (2, 4e-5), (12, 3e-5), (13, None), (14, 2e-5)]:
        TokenScoreFactory(
            token=token,
            created_at=T0 + timedelta(minutes=minute),
            metrics={} if value is None else {"price_usd": value},
        )

    html = page(token)

    price = html.find("svg", class_="price-chart")
    score = html.find("svg", class_="score-chart")
    assert (price.attrs["data-points"], price.attrs["data-segments"]) == ("5", "3")
    assert score.attrs["data-segments"] == "2"  # the pause breaks the score's lines too
    assert [p.find("title").text() for p in price.find_all("g", class_="snap")] == [
        "2026-03-01 12:00:00 UTC price $0.0₄2000",
        "2026-03-01 12:01:00 UTC price $0.0₄3000",
        "2026-03-01 12:02:00 UTC price $0.0₄4000",
        "2026-03-01 12:12:00 UTC price $0.0₄3000",
        "2026-03-01 12:14:00 UTC price $0.0₄2000",
    ]
    assert len(price.find_all("polyline")) == 1  # the runs of one point are dots, not lines
    score_x = [c.attrs["cx"] for c in score.find_all("circle", class_="smoothed")]
    price_x = [c.attrs["cx"] for c in price.find_all("circle")]
    assert price_x == [x for i, x in enumerate(score_x) if i != 4]  # one time axis
    labels = [t.text() for t in price.find_all("text", class_="ylabel")]
    assert (labels[0], labels[-1]) == ("$0.0₄2000", "$0.0₄4000")


def test_fallback_snapshots_are_marked_on_the_chart_and_in_the_recent_list() -> None:
    token = detail_token()
    snapshots(token, [(0.5, 0.5)])
    snapshots(token, [(0.35, 0.35)], fallback="fallback", start=1)
    snapshots(token, [(0.6, 0.53)], start=2)

    html = page(token)

    marks = [p.classes() for p in html.find("svg").find_all("g", class_="snap")]
    assert marks == [{"snap"}, {"snap", "is-fallback"}, {"snap"}]
    recent = html.find("table", class_="snapshots").find("tbody").find_all("tr")
    assert [[td.text() for td in row.find_all("td")] for row in recent] == [
        ["12:02:00 03-01", "0.600", "0.530", "ok", "v1"],
        ["12:01:00 03-01", "0.350", "0.350", "fallback", "v1"],
        ["12:00:00 03-01", "0.500", "0.500", "ok", "v1"],
    ]
    assert [row.classes() for row in recent] == [set(), {"fallback"}, set()]


def test_a_token_without_snapshots_says_so() -> None:
    token = TokenFactory()

    html = page(token)

    assert html.find("figure", class_="chart").find("p").text() == (
        "No snapshots yet: the first refresh draws the chart."
    )


def test_components_show_raw_smoothed_weight_and_contribution() -> None:
    token = detail_token()
    snapshots(token, [(0.91, 0.8)])  # scored with settings v1: weights 0.25
    scoring_settings_save(changes={"w_tx": 1.0})  # v2, not yet used by a snapshot

    html = page(token)

    rows = html.find("table", class_="components").find("tbody").find_all("tr")
    assert [
        [cell.text() for cell in row.find_all() if cell.tag in {"th", "td"}] for row in rows
    ] == [
        ["Tx accel tx_accel", "3.000", "2.000", "0.25", "0.500", ""],
        ["Vol mom vol_momentum", "1.000", "1.000", "0.25", "0.250", ""],
        ["Fresh token_freshness", "0.500", "0.500", "0.25", "0.125", ""],
        ["Flow orderflow_imbalance", "-0.200", "-0.200", "0.25", "-0.050", ""],
    ]
    bars = [row.find("span", class_="bar") for row in rows]
    assert [bar.attrs["style"] for bar in bars] == [
        "width: 100%",
        "width: 50%",
        "width: 25%",
        "width: 10%",
    ]
    assert "neg" in bars[3].classes()
    assert "Components weights of settings v1" in [h.text() for h in html.find_all("h2")]


def test_metrics_are_listed_with_their_quality_flags() -> None:
    token = detail_token()

    html = page(token)

    table = html.find("table", class_="metrics")
    rows = {row.attrs["data-metric"]: row for row in table.find_all("tr")}
    assert [(row.find("th").text(), row.find("td").text()) for row in rows.values()] == [
        ("Liquidity (kept pools)", "$36.3K"),
        ("Transactions 5m", "953"),
        ("Transactions 1h", "8,880"),
        ("Volume 5m", "$54.2K"),
        ("Volume 1h", "$306K"),
        ("Buys 5m", "529"),
        ("Sells 5m", "424"),
        ("Kept pools", "1"),
        ("Primary DEX", "pumpswap"),
        ("Price", "$0.0₃2035"),
        ("Price change 5m (dp5)", "+3.50%"),  # a fraction stored, a percent shown
        ("Price change 15m est. (dp15)", "+104.50%"),
        ("Hours since migration", "0.25"),
    ]
    flagged = [key for key, row in rows.items() if "flagged" in row.classes()]
    assert flagged == ["dp5"]
    assert rows["dp5"].find("span", class_="badge").text() == "extreme_price_change"
    assert html.find("ul", class_="issues").text() == (
        "warning extreme_price_change |dp5| above 0.5"
    )
    assert html.find("p", class_="note").text() == "Scored normally from data with warnings."


def test_an_emergency_snapshot_is_explained() -> None:
    token = detail_token(
        metrics={
            "data_quality_ok": False,
            "data_quality_issues": [
                {"code": "negative_liquidity", "message": "liquidity < 0", "severity": "critical"}
            ],
            "fallback": "emergency",
        }
    )

    html = page(token)

    assert (
        html.find("p", class_="note")
        .text()
        .startswith("Critical data issues blocked the update: score = 0.5 x median")
    )
    assert html.find("tr", data_metric="L_tot").find("span", class_="badge").classes() == {
        "badge",
        "bad",
    }
    assert html.find("tr", data_metric="L_tot").find("td").text() == "—"


def test_the_pools_table_lists_every_pool_most_liquid_first() -> None:
    token = detail_token()
    PoolFactory(token=token, dex_id="meteora", liquidity_usd=800, kept=False, quote_symbol="USDC")
    PoolFactory(
        token=token,
        dex_id="pumpswap",
        liquidity_usd=36295.05,
        buys_5m=529,
        sells_5m=424,
        volume_5m=54232.17,
        volume_1h=305644.82,
        price_usd=0.0002035,
        price_change_5m=3.5,
        price_change_1h=418,
    )

    html = page(token)

    rows = html.find("table", class_="pools").find("tbody").find_all("tr")
    assert [[td.text() for td in row.find_all("td")][:11] for row in rows] == [
        ["pumpswap", rows[0].find("code").text(), "SOL", "yes", "$36.3K", "529/424",
         "$54.2K", "$306K", "$0.0₃2035", "+3.5%", "+418.0%"],
        ["meteora", rows[1].find("code").text(), "USDC", "no", "$800", "0/0",
         "$0", "$0", "—", "—", "—"],
    ]  # fmt: skip
    assert rows[1].classes() == {"dim"}


def test_the_lifecycle_lists_each_step() -> None:
    token = detail_token()

    html = page(token)

    table = html.find("table", class_="lifecycle")
    events = {
        row.attrs["data-event"]: row.find("td").text()
        for row in table.find_all("tr")
        if "data-event" in row.attrs
    }
    assert events["created"].startswith("2026-03-01 12:00:00 UTC")
    assert events["migrated"].startswith("2026-03-01 12:00:30 UTC")
    assert events["activated"].startswith("2026-03-01 12:02:00 UTC")
    assert (events["archived"], events["last-refreshed"]) == ("—", "—")
    assert table.find("span", class_="badge").text() == "active"


def test_the_partial_is_the_live_region_only() -> None:
    token = detail_token()
    snapshots(token, [(0.5, 0.5), (0.7, 0.56)])

    response = Client().get(f"/tokens/{token.mint_address}/", **HTMX)

    html = parse(response.content)
    assert response.content.lstrip().startswith(b'<div id="token-live"')
    assert b"<html" not in response.content
    assert len(html.find_all("g", class_="snap")) == 2
    assert html.find("span", data_field="smoothed_score").text() == "0.800"
    assert html.find("div", id="token-live").attrs["hx-trigger"] == "every 15s"


def test_an_unknown_mint_is_404() -> None:
    response = Client().get("/tokens/NoSuchMint1111111111111111111111/")

    assert response.status_code == 404


def test_only_staff_see_the_refresh_button(staff_client: Client) -> None:
    token = detail_token()

    anonymous = page(token)
    staff = page(token, staff_client)

    assert anonymous.find_all("form", class_="refresh") == []
    form = staff.find("form", class_="refresh")
    assert (form.attrs["method"], form.attrs["action"]) == (
        "post",
        f"/tokens/{token.mint_address}/refresh/",
    )


def test_staff_queue_a_refresh_and_see_a_message(
    staff_client: Client, redis_client: redis.Redis
) -> None:
    token = detail_token()

    response = staff_client.post(f"/tokens/{token.mint_address}/refresh/", follow=True)

    assert queued_tasks(redis_client) == [
        ("scoring.refresh_batch", [[token.pk]], {"group": "manual"})
    ]
    assert response.redirect_chain == [(f"/tokens/{token.mint_address}/", 302)]
    assert parse(response.content).find("ul", class_="messages").text() == (
        "Refresh of BABY queued: the new score shows up shortly."
    )
    token.refresh_from_db()
    assert token.refresh_lease_until is not None  # archival and the scheduler leave it alone


def test_archived_tokens_are_not_queued(staff_client: Client, redis_client: redis.Redis) -> None:
    token = detail_token(status=Token.Status.ARCHIVED)

    response = staff_client.post(f"/tokens/{token.mint_address}/refresh/")

    assert queued_tasks(redis_client) == []
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Archived tokens are not refreshed."
    ]


def test_a_dead_broker_answers_at_once_with_a_clear_message(
    staff_client: Client, settings: Any
) -> None:
    token = detail_token()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    started = time.monotonic()

    response = staff_client.post(f"/tokens/{token.mint_address}/refresh/")

    assert time.monotonic() - started < 1.0
    assert response.status_code == 302
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith(
        "The task queue (Redis) is unreachable, so scoring.refresh_batch was not queued ("
    )
    assert message.endswith("). Try again in a moment.")
    token.refresh_from_db()
    assert token.refresh_lease_until is None  # the lease went back


def test_anonymous_users_cannot_refresh(client: Client, redis_client: redis.Redis) -> None:
    token = detail_token()

    response = client.post(f"/tokens/{token.mint_address}/refresh/")

    assert queued_tasks(redis_client) == []
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_refresh_is_post_only(staff_client: Client) -> None:
    token = detail_token()

    response = staff_client.get(f"/tokens/{token.mint_address}/refresh/")

    assert response.status_code == 405


def detail_queries(token: Token) -> int:
    with CaptureQueriesContext(connection) as queries:
        page(token)
    return len(queries)


def test_the_query_count_does_not_grow_with_pools_or_snapshots() -> None:
    token = detail_token()
    PoolFactory(token=token)
    snapshots(token, [(0.5, 0.5)])
    one = detail_queries(token)
    PoolFactory.create_batch(2, token=token)
    snapshots(token, [(0.6, 0.53), (0.7, 0.58)], start=1)

    three = detail_queries(token)

    # token, its pools, the snapshots, the active settings, its launch
    assert (one, three) == (5, 5)


def test_the_hot_line_is_drawn_at_the_settings_min_score() -> None:
    token = detail_token()
    snapshots(token, [(0.0, 0.0), (1.0, 1.0)])
    assert ScoringSettings.objects.active().min_score == 0.3

    svg = page(token).find("svg")

    line = svg.find("line", class_="hotline")
    # y axis 0..1 maps onto 226..12 px: 0.3 sits at 226 - 0.3 * 214
    assert (line.attrs["y1"], line.attrs["y2"]) == ("161.8", "161.8")


def test_it_shows_where_the_token_came_from_its_creator_and_time_to_graduate() -> None:
    from datetime import timedelta as span

    from tests.factories import CreationFactory

    token = detail_token(source="chain")
    CreationFactory(
        mint_address=token.mint_address,
        creator="3kSYvDmbBzrp1hBxCJaGQpmpH4LBDH7fE5bWMjoNG3ZJ",
        created_at=token.migrated_at - span(hours=3, minutes=5),
        initial_buy_sol="1.5",
    )

    html = page(token)

    assert html.find("tr", data_event="source").find("td").text() == "found on chain"
    assert html.find("tr", data_event="launched").find("span").text() == ("graduated 3h 05m later")
    creator = html.find("tr", data_event="creator")
    assert creator.find("a").attrs["href"] == (
        "https://solscan.io/account/3kSYvDmbBzrp1hBxCJaGQpmpH4LBDH7fE5bWMjoNG3ZJ"
    )
    assert creator.find("span").text() == "first buy 1.500 SOL"


def test_a_token_whose_launch_was_not_heard_says_so() -> None:
    html = page(detail_token())

    assert html.find("tr", data_event="launched").find("td").text() == "launch not heard"
    assert html.find("tr", data_event="creator").find("td").text() == "—"
