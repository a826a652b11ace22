"""Every page at a phone's, a laptop's and a wide screen's width, in Chromium: the page never
scrolls sideways (a wide table scrolls inside its own box), the dashboard's score column is in
view, nothing is logged as an error, stale and fallback rows say so. With MOON_SCREENS set to a
folder (`make screens`), each page at each width is saved there as a PNG for review."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import BrowserContext, Page, Response, expect

from ingestion.models import RiskCheck
from scoring.services.refresh import tokens_score
from tests.asgi import AsgiServer
from tests.factories import PoolFactory, StaffFactory, TokenFactory, TokenScoreFactory, fake_address
from tests.pairs import pair
from tokens.models import Token

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (400, 1280, 1920)
SCREENS = os.environ.get("MOON_SCREENS", "")
OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
# The cells matching a selector whose content is wider than the cell (cut with an ellipsis).
CLIPPED = """selector => [...document.querySelectorAll(selector)]
  .filter(cell => cell.scrollWidth > cell.clientWidth + 1).map(cell => cell.textContent.trim())"""


def market(site: AsgiServer) -> dict[str, Token]:
    """A dashboard's worth of tokens as refreshes leave them: one scored from a real pair, one
    hot, one stale (its worker stopped), one on a fallback score, one never scored, symbols
    that repeat, long names, every flag; images served from loopback."""
    now = timezone.now()
    image = f"{site.url}/static/moon/favicon.svg"
    scored = TokenFactory(symbol="PAIR", migrated_at=now - timedelta(minutes=40))
    tokens_score(
        token_ids=[scored.pk],
        pairs={scored.mint_address: [pair(scored.mint_address, fake_address(777))]},
        errors={},
    )
    Token.objects.filter(pk=scored.pk).update(image_url=f"{image}?token=pair")  # no CDN here
    scored.refresh_from_db()
    base = {"status": Token.Status.ACTIVE, "migrated_at": now - timedelta(hours=2)}
    tokens = {"PAIR": scored}
    rows = [
        ("HOT", 0.82, {"scored_at": now, "price_change_5m": 41.2, "flags": ["young"]}),
        ("STALE", 0.35, {"scored_at": now - timedelta(minutes=9)}),
        ("FELL", 0.31, {"scored_at": now, "metrics": {"fallback": "fallback"}}),
        ("DOGE", 0.2, {"scored_at": now, "name": "Doge of the very long name " * 3}),
        ("DOGE", 0.18, {"scored_at": now, "flags": ["thin"], "risk_flags": ["mint_authority"]}),
        ("RUG", 0.0, {"scored_at": now, "flags": ["rugged"], "price_change_1h": -97.5}),
    ]
    for n, (symbol, smoothed, extra) in enumerate(rows):
        values = {
            **base,
            "score": smoothed,
            "smoothed_score": smoothed,
            "price_usd": 0.00006541 * (n + 1),
            "market_cap_usd": 65_000.0 * (n + 1),
            "price_change_5m": -3.2 + n,
            "price_change_1h": 12.5 - n,
            "liquidity_usd": 30_000.0 + n,
            "tx_5m": 120 + n,
            "volume_5m": 5_400.0 * (n + 1),
            "image_url": f"{image}?token={n}",
            **extra,
        }
        token = TokenFactory(symbol=symbol, **values)
        for dex in ("pumpswap", "meteora", "raydium"):
            PoolFactory(token=token, dex_id=dex)
        tokens[f"{symbol}{n}"] = token
    tokens["NEW"] = TokenFactory(symbol="", name="", migrated_at=now)  # metadata not in yet
    for minute in range(30):
        TokenScoreFactory(
            token=scored,
            created_at=now - timedelta(minutes=60 - minute * (1 if minute < 20 else 2)),
            metrics={"price_usd": 6.5e-5 * (1 + minute / 50) * (20 if minute == 12 else 1)},
        )
    RiskCheck.objects.create(token=scored, checked_at=now, complete=False, flags=[])
    return tokens


@pytest.fixture
def signed_in(context: BrowserContext, live_site: AsgiServer) -> None:
    """The browser signed in as staff: every page, the staff ones too."""
    client = Client()
    client.force_login(StaffFactory(username="staff"))
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_site.url}]
    )


def watch_console(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def shot(page: Page, name: str, width: int) -> None:
    if SCREENS:
        Path(SCREENS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENS) / f"{name}-{width}.png"), full_page=True)


@pytest.mark.usefixtures("signed_in")
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_fits_its_width(page: Page, live_site: AsgiServer, width: int) -> None:
    tokens = market(live_site)
    errors = watch_console(page)
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(live_site.url + "/")
    score = page.locator("#token-table thead th").nth(1)
    expect(score).to_contain_text("Score")
    box = score.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= width  # in view without scrolling
    stale = page.locator(f"tr[data-mint='{tokens['STALE1'].mint_address}'] td.data-age")
    expect(stale).to_contain_text("9m")
    expect(stale.locator("[data-marker='stale']")).to_be_visible()
    fell = page.locator(f"tr[data-mint='{tokens['FELL2'].mint_address}'] td.data-age")
    expect(fell.locator("[data-marker='fallback']")).to_have_text("fallback")
    expect(page.locator("tr.no-data b.symbol")).to_have_text("(no symbol)")
    clipped = page.evaluate(CLIPPED, "#token-table thead th, #token-table td.c-pools")
    assert clipped == [], "cut short: a header or a pools cell"
    table = page.locator(".table-scroll").first
    if table.evaluate("box => box.scrollWidth > box.clientWidth"):
        expect(page.locator(".scroll-hint")).to_be_visible()
    shot(page, "dashboard", width)
    assert page.evaluate(OVERFLOW) <= 0, "the dashboard scrolls sideways"

    pages = {
        "detail": f"/tokens/{tokens['PAIR'].mint_address}/",
        "system": "/system/",
        "settings": "/settings/",
        "alerts": "/alerts/",
        "logs": "/logs/",
        "lab": "/lab/",
    }
    for name, path in pages.items():
        response = page.goto(live_site.url + path)
        assert response is not None
        assert response.status == 200, path
        expect(page.locator("main")).to_be_visible()
        shot(page, name, width)
        assert page.evaluate(OVERFLOW) <= 0, f"{path} scrolls sideways at {width}px"
    assert errors == []


def test_the_watchlist_survives_a_reload(page: Page, live_site: AsgiServer) -> None:
    tokens = market(live_site)
    page.goto(live_site.url + "/")
    rug = page.locator(f"tr[data-mint='{tokens['RUG5'].mint_address}']")

    rug.get_by_role("button", name="☆").click()

    first = page.locator("#token-table tbody tr[data-mint]").first
    expect(first).to_have_attribute("data-mint", tokens["RUG5"].mint_address)
    page.reload()
    first = page.locator("#token-table tbody tr[data-mint]").first
    expect(first).to_have_attribute("data-mint", tokens["RUG5"].mint_address)
    expect(first.get_by_role("button", name="★")).to_have_attribute("aria-pressed", "true")


def test_paused_the_table_does_not_change_until_resumed(page: Page, live_site: AsgiServer) -> None:
    """With the event stream open: a committed refresh does not reach a paused table; resumed,
    the table reads itself at once (not at its next 30 s re-rank)."""
    tokens = market(live_site)
    page.goto(live_site.url + "/")
    expect(page.locator("body.live")).to_have_count(1)
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("body.paused")).to_have_count(1)
    hot = tokens["HOT0"]
    cell = page.locator(f"tr[data-mint='{hot.mint_address}'] td[data-col='smoothed_score']")

    pairs = {hot.mint_address: [pair(hot.mint_address, fake_address(4343))]}
    tokens_score(token_ids=[hot.pk], pairs=pairs, errors={})  # its event goes out on commit
    hot.refresh_from_db()
    page.wait_for_timeout(2_500)  # the row would have fetched itself by now
    expect(cell).to_have_text("0.820")

    page.get_by_role("button", name="Resume").click()
    expect(cell).to_have_text(f"{hot.smoothed_score:.3f}", timeout=4_000)


def table_poll(response: Response) -> bool:
    request = response.request
    return urlparse(request.url).path == "/" and request.headers.get("hx-request") == "true"


def test_token_images_are_fetched_once_not_per_poll(page: Page, live_site: AsgiServer) -> None:
    market(live_site)
    images: list[str] = []
    page.on("request", lambda r: images.append(r.url) if "favicon.svg?token=" in r.url else None)
    page.route("**/api/stream/**", lambda route: route.abort())
    page.goto(live_site.url + "/")
    expect(page.locator("tr[data-mint] img")).to_have_count(7)
    fetched = sorted(images)
    page.evaluate("document.querySelectorAll('tr[data-mint] img').forEach(i => i.loaded = 1)")

    with page.expect_response(table_poll, timeout=10_000):
        pass  # the table's own poll, 5 s after the load
    page.wait_for_timeout(500)

    assert len(fetched) == 7
    assert sorted(images) == fetched  # the poll swapped the table, the images stayed
    kept = page.evaluate("[...document.querySelectorAll('tr[data-mint] img')].map(i => i.loaded)")
    assert kept == [1] * 7  # the very elements loaded first: nothing to fetch or decode again


@pytest.mark.usefixtures("signed_in")
def test_the_settings_preview_follows_the_fields(page: Page, live_site: AsgiServer) -> None:
    market(live_site)
    page.goto(live_site.url + "/settings/")
    expect(page.locator("#hot-preview")).to_contain_text("Change a value")

    page.get_by_label("Hot line (smoothed score)").fill("0")

    row = page.locator("#hot-preview tr[data-preview='all changes']")
    expect(row).to_be_visible()
    expect(row.locator("td").nth(3)).to_have_text("8")  # live tokens
    expect(row.locator("td").nth(1)).to_have_text("3")  # HOT, STALE and FELL now
    expect(row.locator("td").nth(2)).to_have_text("7 (+4)")  # every scored one; NEW has none
