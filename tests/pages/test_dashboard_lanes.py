"""The dashboard's lanes (new, hot, fading, rugged), its watchlist and its order."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from moon.web.pages.watchlist import COOKIE
from tests.factories import StaffFactory, TokenFactory, UserFactory
from tests.pages.html import parse
from tokens.models import Token, WatchedToken
from tokens.services.watchlist import WATCHLIST_LIMIT

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def symbols(client: Client, path: str = "/", **params: str) -> list[str]:
    html = parse(client.get(path, params).content)
    rows = [row for row in html.find_all("tr") if "data-mint" in row.attrs]
    return [row.find("b", class_="symbol").text() for row in rows]


def token(symbol: str, smoothed: float, score: float | None = None, **fields: object) -> Token:
    values = {"status": Token.Status.ACTIVE, "migrated_at": timezone.now(), **fields}
    return TokenFactory(
        symbol=symbol, smoothed_score=smoothed, score=smoothed if score is None else score,
        **values,
    )  # fmt: skip


@pytest.fixture
def market() -> dict[str, Token]:
    old = timezone.now() - timedelta(hours=30)
    return {
        "HOT": token("HOT", 0.6, migrated_at=old),  # the hot line is 0.3
        "FADE": token("FADE", 0.25, score=0.1, migrated_at=old),  # near the line, falling
        "RISE": token("RISE", 0.25, score=0.4, migrated_at=old),  # near the line, rising
        "RUG": token("RUG", 0.2, score=0.0, flags=["rugged"], migrated_at=old),
        "NEW": token("NEW", 0.05),  # migrated just now
    }


@pytest.mark.parametrize(
    ("lane", "expected"),
    [
        ("", ["HOT", "RISE", "FADE", "RUG", "NEW"]),  # a tie: the newer row first
        ("new", ["NEW"]),
        ("hot", ["HOT"]),
        ("fading", ["FADE"]),  # a rugged token is in its own lane, not fading
        ("rugged", ["RUG"]),
    ],
)
def test_each_lane_holds_its_tokens(
    client: Client, market: dict[str, Token], lane: str, expected: list[str]
) -> None:
    assert symbols(client, lane=lane) == expected


def test_the_lane_tabs_count_their_tokens_and_keep_the_filters(
    client: Client, market: dict[str, Token]
) -> None:
    html = parse(client.get("/", {"lane": "hot", "search": "O", "sort": "symbol"}).content)

    tabs = html.find("nav", aria_label="Lanes").find_all("a")
    assert [(tab.text(), tab.attrs["href"]) for tab in tabs] == [
        ("All 5", "/?search=O"),
        ("New 1", "/?search=O&lane=new"),
        ("Hot 1", "/?search=O&lane=hot"),
        ("Fading 1", "/?search=O&lane=fading"),
        ("Rugged 1", "/?search=O&lane=rugged"),
    ]
    assert tabs[2].attrs["aria-current"] == "page"
    hidden = {i.attrs["name"]: i.attrs["value"] for i in html.find_all("input", form="filters")}
    assert hidden == {"lane": "hot", "sort": "symbol"}


def test_the_new_lane_shows_the_youngest_first(client: Client) -> None:
    now = timezone.now()
    token("OLDER", 0.9, migrated_at=now - timedelta(hours=2))
    token("YOUNGER", 0.1, migrated_at=now - timedelta(minutes=5))

    assert symbols(client, lane="new") == ["YOUNGER", "OLDER"]


def test_an_unknown_lane_is_ignored(client: Client, market: dict[str, Token]) -> None:
    assert len(symbols(client, lane="moon")) == 5


def pin(client: Client, mint: str, watch: str = "1", **extra: str):  # type: ignore[no-untyped-def]
    return client.post(f"/tokens/{mint}/watch/", {"watch": watch, "next": "/?lane=hot"}, **extra)


def test_a_browser_pins_tokens_to_the_top_in_a_cookie(
    client: Client, market: dict[str, Token]
) -> None:
    response = pin(client, market["NEW"].mint_address, **HTMX)
    pin(client, market["RUG"].mint_address, **HTMX)

    assert response.status_code == 204
    assert response["HX-Trigger"] == "watchlist"
    assert client.cookies[COOKIE]["httponly"]
    # pinned first (in the table's order), then the ranking without them
    assert symbols(client) == ["RUG", "NEW", "HOT", "RISE", "FADE"]
    assert symbols(client, lane="hot") == ["RUG", "NEW", "HOT"]  # pins show in every lane
    html = parse(client.get("/").content)
    pinned = [row for row in html.find_all("tr") if "pinned" in row.classes()]
    assert [row.find("button", class_="star").attrs["aria-pressed"] for row in pinned] == [
        "true",
        "true",
    ]
    assert WatchedToken.objects.count() == 0  # nobody signed in: the browser keeps it

    pin(client, market["RUG"].mint_address, watch="0", **HTMX)
    assert symbols(client)[:2] == ["NEW", "HOT"]


def test_without_javascript_a_pin_goes_back_to_the_page(
    client: Client, market: dict[str, Token]
) -> None:
    response = pin(client, market["NEW"].mint_address)

    assert response.status_code == 302
    assert response["Location"] == "/?lane=hot"
    assert symbols(client)[0] == "NEW"


def test_a_signed_in_user_keeps_the_watchlist_and_gets_the_browser_s_at_sign_in(
    client: Client, market: dict[str, Token]
) -> None:
    pin(client, market["RISE"].mint_address, **HTMX)  # before signing in
    user = UserFactory(is_staff=True)
    signed_in = client.post(
        "/admin/login/?next=/", {"username": user.username, "password": "correct-horse-battery"}
    )
    assert signed_in.status_code == 302

    pin(client, market["NEW"].mint_address, **HTMX)

    assert list(WatchedToken.objects.filter(user=user).values_list("token__symbol", flat=True)) == [
        "RISE",
        "NEW",
    ]
    assert symbols(client)[:2] == ["RISE", "NEW"]
    other = Client()
    other.force_login(StaffFactory())
    assert symbols(other)[0] == "HOT"  # one user's pins are theirs only
    row = parse(client.get(f"/tokens/{market['NEW'].mint_address}/row/").content)
    assert row.find("tr").classes() >= {"pinned"}


def test_pinning_an_unknown_token_or_past_the_limit_is_refused(
    client: Client, market: dict[str, Token]
) -> None:
    missing = pin(client, "So11111111111111111111111111111111111111112", **HTMX)
    user = UserFactory()
    client.force_login(user)
    WatchedToken.objects.bulk_create(
        [WatchedToken(user=user, token=TokenFactory()) for _ in range(WATCHLIST_LIMIT)]
    )
    full = pin(client, market["HOT"].mint_address, **HTMX)

    assert (missing.status_code, missing.content) == (404, b"No such token.")
    assert full.status_code == 409
    assert full.content.decode() == f"A watchlist holds {WATCHLIST_LIMIT} tokens at most."
    assert client.get("/watch-nothing").status_code == 404
    assert client.get(f"/tokens/{market['HOT'].mint_address}/watch/").status_code == 405


def test_a_forged_cookie_shows_nothing_it_does_not_hold(
    client: Client, market: dict[str, Token]
) -> None:
    client.cookies[COOKIE] = f"not-a-mint.{market['NEW'].mint_address}.<script>"

    assert symbols(client) == ["NEW", "HOT", "RISE", "FADE", "RUG"]  # the one real pin on top


def test_two_reads_of_an_unchanged_market_give_the_same_order(client: Client) -> None:
    for n in range(12):  # equal scores: the tie breaks on id, never at random
        token(f"T{n:02d}", 0.4)

    assert symbols(client) == symbols(client) == [f"T{n:02d}" for n in range(12)][::-1]


def test_a_pinned_archived_token_says_it_is_archived(client: Client) -> None:
    gone = token("GONE", 0.5, status=Token.Status.ARCHIVED)
    pin(client, gone.mint_address, HTTP_HX_REQUEST="true")

    html = parse(client.get("/").content)

    row = html.find("tr", data_mint=gone.mint_address)
    assert row.find("span", data_marker="archived").text() == "archived"


def test_a_risky_row_is_marked_at_its_edge(client: Client, market: dict[str, Token]) -> None:
    token("MINT", 0.1, risk_flags=["mint_authority"])
    html = parse(client.get("/").content)

    risky = {
        r.find("b", class_="symbol").text() for r in html.find_all("tr") if "risky" in r.classes()
    }
    assert risky == {"RUG", "MINT"}


def test_the_next_page_after_a_pin_stays_on_this_site(
    client: Client, market: dict[str, Token]
) -> None:
    mint = market["NEW"].mint_address
    for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
        response = client.post(f"/tokens/{mint}/watch/", {"next": target})
        assert response["Location"] == "/", target


def test_signing_in_hands_the_browser_s_pins_over_to_the_user(
    client: Client, market: dict[str, Token]
) -> None:
    pin(client, market["RISE"].mint_address, **HTMX)
    user = UserFactory(is_staff=True)
    client.post("/admin/login/", {"username": user.username, "password": "correct-horse-battery"})

    response = pin(client, market["RISE"].mint_address, watch="0", **HTMX)  # unpinned, signed in

    assert response.cookies[COOKIE].value == ""  # the cookie is spent: it cannot come back
    client.logout()
    client.post("/admin/login/", {"username": user.username, "password": "correct-horse-battery"})
    assert not WatchedToken.objects.filter(user=user).exists()
