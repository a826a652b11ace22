"""The pages in Chromium: sorting, filtering, live refresh, the chart, settings, access."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from scoring.services.refresh import tokens_score
from tests.asgi import AsgiServer
from tests.factories import StaffFactory, TokenFactory, TokenScoreFactory, fake_address
from tests.pairs import pair
from tokens.models import Token

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("v1_settings"),  # the pages as scored by spec v1 and its weights
]

REFRESH_TIMEOUT = 20_000  # the table polls every 5 s


def seed() -> dict[str, Token]:
    now = timezone.now()
    return {
        symbol: TokenFactory(
            symbol=symbol,
            status=Token.Status.ACTIVE,
            score=smoothed,
            smoothed_score=smoothed,
            liquidity_usd=liquidity,
            migrated_at=now - timedelta(hours=hours),
        )
        for symbol, smoothed, liquidity, hours in [
            ("MID", 0.5, 30_000, 2),
            ("TOP", 0.9, 10_000, 1),
            ("LOW", 0.1, 20_000, 8),
        ]
    }


def symbols(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#token-table tbody tr[data-mint] b.symbol")


def test_the_dashboard_lists_tokens_by_score(page: Page, live_site: AsgiServer) -> None:
    seed()

    page.goto(live_site.url + "/")

    expect(symbols(page)).to_have_text(["TOP", "MID", "LOW"])


def test_clicking_a_header_sorts_and_the_url_follows(page: Page, live_site: AsgiServer) -> None:
    seed()
    page.goto(live_site.url + "/")
    page.evaluate("window.moonMarker = 'no reload'")

    page.get_by_role("link", name="Liquidity").click()

    expect(symbols(page)).to_have_text(["MID", "LOW", "TOP"])
    expect(page).to_have_url(re.compile(r"/\?sort=-liquidity$"))
    page.get_by_role("link", name="Liquidity").click()
    expect(symbols(page)).to_have_text(["TOP", "LOW", "MID"])
    expect(page).to_have_url(re.compile(r"/\?sort=liquidity$"))
    assert page.evaluate("window.moonMarker") == "no reload"


def test_a_filter_narrows_the_rows(page: Page, live_site: AsgiServer) -> None:
    seed()
    page.goto(live_site.url + "/?sort=symbol")

    page.get_by_label("Hot only").check()

    expect(symbols(page)).to_have_text(["MID", "TOP"])  # smoothed >= 0.3, still by symbol
    expect(page).to_have_url(re.compile(r"/\?.*hot=on"))
    page.get_by_placeholder("Mint, symbol or name").fill("TOP")
    expect(symbols(page)).to_have_text(["TOP"])
    expect(page).to_have_url(re.compile(r"search=TOP"))
    page.get_by_role("link", name="Archived").click()
    expect(symbols(page)).to_have_count(0)
    expect(page).to_have_url(re.compile(r"status=archived"))


def stream_down(page: Page) -> None:
    """The event stream unreachable, as behind a proxy that drops it: the table polls."""
    page.route("**/api/stream/**", lambda route: route.abort())


def test_the_table_refreshes_itself_while_the_stream_is_down(
    page: Page, live_site: AsgiServer
) -> None:
    tokens = seed()
    stream_down(page)
    page.goto(live_site.url + "/?sort=symbol")
    page.evaluate("window.moonMarker = 'no reload'")
    expect(symbols(page)).to_have_text(["LOW", "MID", "TOP"])

    Token.objects.filter(pk=tokens["MID"].pk).update(score=0.777, smoothed_score=0.654)

    mid = page.locator(f"tr[data-mint='{tokens['MID'].mint_address}']")
    expect(mid.locator("td[data-col='score']")).to_have_text("0.777", timeout=REFRESH_TIMEOUT)
    expect(mid.locator("td[data-col='smoothed_score']")).to_have_text("0.654")
    expect(symbols(page)).to_have_text(["LOW", "MID", "TOP"])  # the sort survived
    expect(page).to_have_url(re.compile(r"/\?sort=symbol$"))
    assert page.evaluate("window.moonMarker") == "no reload"


def test_a_row_changes_from_the_event_stream_without_a_poll(
    page: Page, live_site: AsgiServer
) -> None:
    """A refresh commits; its event reaches the page over /api/stream/ and that token's row
    fetches itself: the table is not polled, the order stays."""
    tokens = seed()
    table_requests: list[str] = []
    page.on(
        "request",
        lambda request: (
            table_requests.append(request.url)
            if request.url.startswith(live_site.url + "/?") and "hx-request" in request.headers
            else None
        ),
    )
    page.goto(live_site.url + "/?sort=symbol")
    expect(page.locator("body.live")).to_have_count(1)
    expect(page.locator(".live-state").first).to_have_text("live ·")
    mid = tokens["MID"]

    tokens_score(
        token_ids=[mid.pk],
        pairs={
            mid.mint_address: [pair(mid.mint_address, "PairMid1111111111111111111111111111111111")]
        },
        errors={},
    )

    mid.refresh_from_db()
    row = page.locator(f"tr[data-mint='{mid.mint_address}']")
    expect(row.locator("td[data-col='score']")).to_have_text(f"{mid.score:.3f}", timeout=4_000)
    expect(row.locator("b.symbol")).to_have_text(mid.symbol)  # the pair's name for it
    order = page.locator("#token-table tbody tr[data-mint]")
    expect(order).to_have_count(3)
    assert [order.nth(n).get_attribute("data-mint") for n in range(3)] == [
        tokens[symbol].mint_address for symbol in ("LOW", "MID", "TOP")
    ]
    assert table_requests == []


def test_a_refresh_keeps_the_scroll_position(page: Page, live_site: AsgiServer) -> None:
    tokens = [
        TokenFactory(symbol=f"T{n:02d}", status=Token.Status.ACTIVE, score=0.5, smoothed_score=0.5)
        for n in range(45)
    ]
    page.set_viewport_size({"width": 1400, "height": 600})
    stream_down(page)
    page.goto(live_site.url + "/?sort=symbol")
    page.evaluate("window.scrollTo(0, 500)")
    expect(symbols(page)).to_have_count(45)

    Token.objects.filter(pk=tokens[30].pk).update(score=0.888)

    row = page.locator(f"tr[data-mint='{tokens[30].mint_address}']")
    expect(row.locator("td[data-col='score']")).to_have_text("0.888", timeout=REFRESH_TIMEOUT)
    assert page.evaluate("window.scrollY") == 500


def test_the_detail_chart_has_one_point_per_snapshot(page: Page, live_site: AsgiServer) -> None:
    token = TokenFactory(symbol="CHART", score=0.6, smoothed_score=0.55)
    start = timezone.now() - timedelta(minutes=10)
    for minute, score in enumerate([0.2, 0.5, 0.9, 0.4, 0.6]):
        TokenScoreFactory(
            token=token,
            score=score,
            smoothed_score=score,
            created_at=start + timedelta(minutes=minute),
        )

    page.goto(f"{live_site.url}/tokens/{token.mint_address}/")

    points = page.locator("svg.score-chart g.snap")
    expect(points).to_have_count(5)
    expect(points.nth(2).locator("title")).to_contain_text("score 0.900")
    points.nth(2).hover()  # the hover band is there to be hovered
    expect(page.locator("svg.score-chart")).to_have_attribute("data-points", "5")


def test_staff_change_a_weight_and_the_next_refresh_uses_it(
    page: Page, live_site: AsgiServer
) -> None:
    StaffFactory(username="staff")
    token = TokenFactory(migrated_at=timezone.now())
    pairs = {token.mint_address: [pair(token.mint_address, fake_address(4242))]}
    tokens_score(token_ids=[token.pk], pairs=pairs, errors={})  # default weights: 0.25 each
    token.refresh_from_db()
    before = token.score
    assert before == pytest.approx(1.1318, abs=1e-3)

    page.goto(live_site.url + "/settings/")
    expect(page).to_have_url(re.compile(r"/admin/login/\?next=/settings/"))
    page.fill("#id_username", "staff")
    page.fill("#id_password", "correct-horse-battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(live_site.url + "/settings/")
    page.get_by_label("Weight: tx acceleration").fill("1")
    page.get_by_role("button", name="Save as a new version").click()
    expect(page.locator(".messages")).to_have_text(re.compile(r"Saved as version \d+ \(w_tx\)"))

    tokens_score(token_ids=[token.pk], pairs=pairs, errors={})
    token.refresh_from_db()
    page.goto(f"{live_site.url}/tokens/{token.mint_address}/")

    # tx_accel 1.2878 now weighs 1 instead of 0.25: the score rises by 0.75 x 1.2878
    assert token.score == pytest.approx(before + 0.75 * 1.287837, abs=1e-3)
    expect(page.locator("[data-field='score']")).to_have_text(f"{token.score:.3f}")
    expect(page.locator("tr[data-component='tx_accel'] td").nth(2)).to_have_text("1.00")


@pytest.mark.parametrize("path", ["/settings/", "/logs/"])
def test_anonymous_users_cannot_reach_staff_pages(
    page: Page, live_site: AsgiServer, path: str
) -> None:
    page.goto(live_site.url + path)

    expect(page).to_have_url(re.compile(rf"/admin/login/\?next={re.escape(path)}$"))
    expect(page.locator("#id_username")).to_be_visible()
