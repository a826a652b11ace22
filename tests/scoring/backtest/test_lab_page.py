"""/lab/ (staff): two variants backtested side by side as SVG charts; B applied as a version."""

import json
import re
from io import StringIO
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save
from tests.factories import StaffFactory, TokenFactory, UserFactory
from tests.pages.html import Node, parse
from tests.scoring.backtest.builders import BUSY, QUIET, metrics
from tests.scoring.backtest.stored import T0, stored

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
VARIANT = {
    "scoring_model_active": "hybrid_momentum",
    "w_tx": 0.25,
    "w_vol": 0.25,
    "w_fresh": 0.25,
    "w_oi": 0.25,
    "ewma_alpha": 0.3,
    "freshness_threshold_hours": 6.0,
    "min_score": 0.3,
    "weight_s": 0.35,
    "weight_l": 0.25,
    "weight_m": 0.2,
    "weight_t": 0.2,
}


@pytest.fixture(autouse=True)
def active_variant() -> ScoringSettings:
    """VARIANT (the hybrid model the builders' scores are worked out for) as the active
    settings, whatever the defaults are."""
    return scoring_settings_save(changes=VARIANT)


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(StaffFactory(username="staff"))
    return client


@pytest.fixture
def recent_history() -> None:
    """Two tokens, a snapshot every 5 minutes over the last 20 minutes; the busy one rises."""
    rising, flat = TokenFactory(), TokenFactory()
    start = (timezone.now() - T0).total_seconds() / 60 - 20
    for step, price in enumerate((1.0, 1.2, 1.5, 1.6)):
        stored(rising, start + 5 * step, BUSY, price=price)
        stored(flat, start + 5 * step, QUIET, price=2.0 - step / 20)


@pytest.fixture
def twelve_recent_tokens() -> None:
    """12 tokens, a snapshot every 5 minutes over the last 20 minutes (as in test_command's
    twelve_tokens): 36 samples from 12 tokens at 5 min, 12 at 15 min, none at 60 min. Busy
    token n (even) trades 2n + step times and rises; the quiet ones slip."""
    start = (timezone.now() - T0).total_seconds() / 60 - 20
    for number in range(1, 13):
        token = TokenFactory()
        busy = number % 2 == 0
        for step in range(4):
            shape = metrics(tx_5m=2 * number + step) if busy else QUIET
            price = 1.0 + 0.1 * step if busy else 1.0 - 0.01 * step * number
            stored(token, start + 5 * step, shape, price=price)


def query(
    b: dict[str, object] | None = None, a: dict[str, object] | None = None, **window: object
) -> dict[str, object]:
    data: dict[str, object] = {"run": "1", "hours": 24, "signal": "smoothed"}
    data.update(window)
    data.update({f"a-{k}": v for k, v in {**VARIANT, **(a or {})}.items()})
    data.update({f"b-{k}": v for k, v in {**VARIANT, **(b or {})}.items()})
    return data


def first_rows(results: Node) -> dict[str, list[str]]:
    """The comparison table's rows, the first of each label (the 5 min ones)."""
    rows: dict[str, list[str]] = {}
    for row in results.find("tbody").find_all("tr"):
        header = row.find_all("th")
        if header and row.find_all("td"):
            rows.setdefault(header[0].text(), [td.text() for td in row.find_all("td")])
    return rows


@pytest.mark.parametrize(("method", "path"), [("get", "/lab/"), ("post", "/lab/apply/")])
def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login(
    client: Client, method: str, path: str, active_variant: ScoringSettings
) -> None:
    anonymous = getattr(client, method)(path)
    client.force_login(UserFactory(username="trader"))
    trader = getattr(client, method)(path)

    assert [anonymous.status_code, trader.status_code] == [302, 302]
    assert trader["Location"] == f"/admin/login/?next={path}"
    assert ScoringSettings.objects.active() == active_variant


def test_the_form_starts_both_variants_at_the_active_settings(staff_client: Client) -> None:
    saved = scoring_settings_save(changes={"w_tx": 0.4})

    response = staff_client.get("/lab/")

    html = parse(response.content)
    assert html.find("h1").text() == f"Backtest lab active: current (v{saved.version})"
    assert html.find("input", name="a-w_tx").attrs["value"] == "0.4"
    assert html.find("input", name="b-w_tx").attrs["value"] == "0.4"
    assert html.find("select", name="hours").find("option", selected="").attrs["value"] == "24"
    assert html.find("section", id="lab-results").find("p").text() == (
        "Pick the history and two variants, then run the backtest."
    )
    assert html.find_all("svg") == []


def test_a_run_shows_both_variants_with_intervals_side_by_side(
    staff_client: Client, twelve_recent_tokens: None
) -> None:
    unsmoothed = {"ewma_alpha": 1.0}
    response = staff_client.get(
        "/lab/", query(a=unsmoothed, b={**unsmoothed, "min_score": 1.0}), **HTMX
    )

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find_all("html") == []  # htmx gets the results region only
    results = html.find("section", id="lab-results")
    assert [th.text() for th in results.find("thead").find_all("th")] == ["", "A", "B"]
    rows = first_rows(results)
    assert rows["snapshots (tokens)"] == ["48 (12)", "48 (12)"]
    assert rows["settings"] == ["hybrid_momentum", "hybrid_momentum"]
    # The figures the command prints for the same history and seed.
    out = StringIO()
    call_command("backtest", "--json", "--set", "ewma_alpha=1", stdout=out, verbosity=0)  # A
    five = json.loads(out.getvalue())["results"][0]["horizons"][0]
    low, high = five["rho_interval"]["low"], five["rho_interval"]["high"]
    rho = f"{five['rho']:+.3f} [{low:+.3f}, {high:+.3f}]"
    assert rows["rank correlation (Spearman) [95%]"] == [rho, rho]
    assert re.fullmatch(
        r"[+-]\d+\.\d\d% \[[+-]\d+\.\d\d%, [+-]\d+\.\d\d%\]",
        rows["mean return, top decile [95%]"][0],
    )
    assert rows["hot calls (score >= min_score)"] == ["18 (>= 0.3)", "12 (>= 1)"]
    assert rows["share of samples hot"] == ["50.0%", "33.3%"]
    assert rows["hit rate of hot calls vs base rate"] == ["100.0% vs 50.0%", "100.0% vs 50.0%"]
    assert rows["hot snapshots (smoothed >= min_score)"] == ["24 (50.0%)", "16 (33.3%)"]
    assert rows["every snapshot (base rate)"] == ["12 · 48 · 50%/—/—", "12 · 48 · 50%/—/—"]
    notes = [tr.text() for tr in results.find("tbody").find_all("tr", class_="note")]
    assert notes == [
        "the Spearman intervals of A and B overlap at 5 min",
        "B minus A at 5 min, resample by resample: +0.000 [+0.000, +0.000]: no clear difference",
        "too little history at 15 min: 12 samples from 12 tokens",
        "too little history at 60 min: 0 samples from 0 tokens",
    ]
    assert [p.text() for p in results.find_all("p", class_="history-note")] == notes[2:]
    charts = results.find_all("figure", class_="chart")
    assert [c.find("figcaption").text().split(" A B")[0] for c in charts] == [
        "Rank correlation (Spearman) of score and forward return, 95% intervals",
        "Mean forward return after 5 min, by score decile",
        "Tokens flagged at least once, by hot threshold",
    ]
    whiskers = charts[0].find_all("line", class_="whisker")
    assert len(whiskers) == 2  # one interval per variant at 5 min
    assert (
        whiskers[0].find("title").text()
        == f"A · 5 min: {five['rho']:+.3g} [{low:+.3g}, {high:+.3g}]"
    )
    assert len(charts[1].find_all("line", class_="whisker")) == 2  # the top decile's
    apply = results.find("form", class_="apply-b")
    assert apply.attrs["action"] == "/lab/apply/"
    assert apply.find("input", name="b-min_score").attrs["value"] == "1.0"


def test_too_little_history_is_said_plainly_instead_of_drawn(
    staff_client: Client, recent_history: None
) -> None:
    response = staff_client.get("/lab/", query(b={"w_tx": 1.0, "min_score": 0.5}), **HTMX)

    results = parse(response.content).find("section", id="lab-results")
    notes = [p.text() for p in results.find_all("p", class_="history-note")]
    assert notes == [
        "too little history at 5 min: 6 samples from 2 tokens",
        "too little history at 15 min: 2 samples from 2 tokens",
        "too little history at 60 min: 0 samples from 0 tokens",
    ]
    assert [tr.text() for tr in results.find_all("tr", class_="note")] == notes
    rows = first_rows(results)
    assert rows["snapshots (tokens)"] == ["8 (2)", "8 (2)"]
    assert "rank correlation (Spearman) [95%]" not in rows
    charts = results.find_all("figure", class_="chart")
    assert [c.find("figcaption").text().split(" A B")[0] for c in charts] == [
        "Tokens flagged at least once, by hot threshold"
    ]


def test_a_whole_page_run_keeps_the_form(staff_client: Client, recent_history: None) -> None:
    response = staff_client.get("/lab/", query())

    html = parse(response.content)
    assert html.find("input", name="a-w_tx").attrs["value"] == "0.25"
    assert len(html.find_all("figure", class_="chart")) == 1  # two tokens: too little history
    explained = html.find_all("p", class_="intro")[1].text()
    assert explained.startswith(
        "[low, high] are 95% intervals from 1,000 resamples that draw tokens, not snapshots"
    )


def test_a_bad_value_runs_nothing_and_says_why(staff_client: Client) -> None:
    response = staff_client.get("/lab/", query(b={"ewma_alpha": 0, "w_vol": -1}), **HTMX)

    html = parse(response.content)
    errors = [li.text() for li in html.find("div", class_="errorlist-box").find_all("li")]
    assert errors == [
        "B w_vol: Ensure this value is greater than or equal to 0.0.",
        "B ewma_alpha: EWMA alpha must be above 0 and at most 1 (got 0.0).",
    ]
    assert html.find_all("figure") == []


def test_apply_saves_b_as_a_new_settings_version(
    staff_client: Client, active_variant: ScoringSettings
) -> None:
    back = urlencode(query(b={"w_tx": 1.0}))
    data = {f"b-{k}": v for k, v in {**VARIANT, "w_tx": 1.0, "ewma_alpha": 0.5}.items()}

    response = staff_client.post("/lab/apply/", {**data, "query": back, "note": "B wins"})

    saved = ScoringSettings.objects.active()
    assert response.status_code == 302
    assert response["Location"] == f"/lab/?{back}"
    version = active_variant.version + 1
    assert (saved.version, saved.w_tx, saved.ewma_alpha, saved.w_vol) == (version, 1.0, 0.5, 0.25)
    assert (saved.note, saved.created_by.get_username()) == ("B wins", "staff")
    page = staff_client.get(response["Location"].split("?")[0])
    assert (
        f"B saved as version {version}: it applies from the next refresh on."
        in page.content.decode()
    )


def test_applying_the_active_settings_stores_nothing(
    staff_client: Client, active_variant: ScoringSettings
) -> None:
    data = {f"b-{k}": v for k, v in VARIANT.items()}

    response = staff_client.post("/lab/apply/", data, follow=True)

    assert ScoringSettings.objects.active() == active_variant
    assert "B equals the active settings: no new version was stored." in response.content.decode()


def test_apply_refuses_a_bad_value(staff_client: Client, active_variant: ScoringSettings) -> None:
    data = {f"b-{k}": v for k, v in {**VARIANT, "w_oi": -2}.items()}

    response = staff_client.post("/lab/apply/", data, follow=True)

    assert ScoringSettings.objects.active() == active_variant
    assert "B was not applied" in response.content.decode()


def test_apply_only_takes_posts(staff_client: Client) -> None:
    assert staff_client.get("/lab/apply/").status_code == 405
