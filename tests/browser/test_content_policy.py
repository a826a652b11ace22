"""In Chromium: every page runs under a strict Content-Security-Policy without breaking it, and
a hostile DexScreener answer (javascript: image, link and name) renders nothing that runs."""

import pytest
from django.utils import timezone
from playwright.sync_api import Page, Route, expect

from scoring.services.refresh import tokens_score
from tests.asgi import AsgiServer
from tests.factories import StaffFactory, TokenFactory, fake_address
from tests.pairs import pair

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WATCH_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
"""


def hostile_token() -> str:
    token = TokenFactory(migrated_at=timezone.now())
    mint = token.mint_address
    hostile = pair(
        mint,
        fake_address(4242),
        url="javascript:alert('pool')",
        info={
            "imageUrl": "javascript:alert('image')",
            "websites": [{"url": "javascript:alert('site')"}],
        },
    )
    hostile["baseToken"] = {**hostile["baseToken"], "name": "<script>alert('name')</script>"}
    tokens_score(token_ids=[token.pk], pairs={mint: [hostile]}, errors={})
    return mint


def test_a_hostile_answer_renders_nothing_that_runs(page: Page, live_site: AsgiServer) -> None:
    mint = hostile_token()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.add_init_script(WATCH_VIOLATIONS)

    for path in ("/", f"/tokens/{mint}/"):
        response = page.goto(live_site.url + path)
        assert response is not None
        policy = response.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        expect(page.locator(f"a[href*='{mint}']").first).to_be_attached()
        hrefs = page.locator("a[href]").evaluate_all("els => els.map(e => e.href)")
        images = page.locator("img").evaluate_all("els => els.map(e => e.src)")
        assert not [url for url in [*hrefs, *images] if url.lower().startswith("javascript:")]

    expect(page.locator("h1")).to_contain_text("<script>")  # shown as text, never run
    assert dialogs == []
    assert page.evaluate("window.__violations") == []


@pytest.mark.parametrize(
    "path",
    ["/", "/system/", "/settings/", "/alerts/", "/logs/", "/lab/", "/api/docs/", "/api/redoc/"],
)
def test_pages_work_under_the_policy(page: Page, live_site: AsgiServer, path: str) -> None:
    """moon's own pages need nothing the policy forbids: no inline script, no foreign script."""
    page.context.add_cookies(
        [{"name": "sessionid", "value": _staff_session(live_site), "url": live_site.url}]
    )
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.add_init_script(WATCH_VIOLATIONS)
    # As on a machine without internet: nothing a page needs may leave loopback (an image may
    # try: ReDoc's footer logo does, and goes without).
    outside: list[str] = []

    def only_loopback(route: Route) -> None:
        if route.request.url.startswith(live_site.url):
            route.continue_()
            return
        if route.request.resource_type != "image":
            outside.append(route.request.url)
        route.abort()

    page.route("**/*", only_loopback)

    response = page.goto(live_site.url + path)
    page.wait_for_load_state("networkidle")

    assert response is not None
    assert response.status == 200
    assert page.evaluate("window.__violations") == []
    assert (errors, outside) == ([], [])
    if path == "/api/docs/":
        expect(page.locator(".opblock").first).to_be_visible()
        expect(page.locator(".opblock-summary-path", has_text="/api/tokens/").first).to_be_visible()
    if path == "/api/redoc/":
        expect(page.get_by_text("Momentum scores of freshly migrated").first).to_be_visible()


def _staff_session(live_site: AsgiServer) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    user = StaffFactory()
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    assert session.session_key is not None
    return session.session_key
