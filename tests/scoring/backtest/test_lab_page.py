"""/lab/ (staff): two variants backtested side by side as SVG charts; B applied as a version."""

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save
from tests.factories import StaffFactory, TokenFactory, UserFactory
from tests.pages.html import parse
from tests.scoring.backtest.builders import BUSY, QUIET
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


def query(b: dict[str, object] | None = None, **window: object) -> dict[str, object]:
    data: dict[str, object] = {"run": "1", "hours": 24, "signal": "smoothed"}
    data.update(window)
    data.update({f"a-{k}": v for k, v in VARIANT.items()})
    data.update({f"b-{k}": v for k, v in {**VARIANT, **(b or {})}.items()})
    return data


@pytest.mark.parametrize(("method", "path"), [("get", "/lab/"), ("post", "/lab/apply/")])
def test_anonymous_and_non_staff_users_are_sent_to_the_admin_login(
    client: Client, method: str, path: str
) -> None:
    anonymous = getattr(client, method)(path)
    client.force_login(UserFactory(username="trader"))
    trader = getattr(client, method)(path)

    assert [anonymous.status_code, trader.status_code] == [302, 302]
    assert trader["Location"] == f"/admin/login/?next={path}"
    assert ScoringSettings.objects.count() == 1


def test_the_form_starts_both_variants_at_the_active_settings(staff_client: Client) -> None:
    scoring_settings_save(changes={"w_tx": 0.4})

    response = staff_client.get("/lab/")

    html = parse(response.content)
    assert html.find("h1").text() == "Backtest lab active: current (v2)"
    assert html.find("input", name="a-w_tx").attrs["value"] == "0.4"
    assert html.find("input", name="b-w_tx").attrs["value"] == "0.4"
    assert html.find("select", name="hours").find("option", selected="").attrs["value"] == "24"
    assert html.find("section", id="lab-results").find("p").text() == (
        "Pick the history and two variants, then run the backtest."
    )
    assert html.find_all("svg") == []


def test_a_run_shows_both_variants_side_by_side_with_charts(
    staff_client: Client, recent_history: None
) -> None:
    response = staff_client.get("/lab/", query(b={"w_tx": 1.0, "min_score": 0.5}), **HTMX)

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find_all("html") == []  # htmx gets the results region only
    results = html.find("section", id="lab-results")
    assert [th.text() for th in results.find("thead").find_all("th")] == ["", "A", "B"]
    rows: dict[str, list[str]] = {}
    for row in results.find("tbody").find_all("tr"):  # the first of each label: 5 min
        rows.setdefault(row.find("th").text(), [td.text() for td in row.find_all("td")])
    assert rows["snapshots (tokens)"] == ["8 (2)", "8 (2)"]
    assert rows["settings"] == ["hybrid_momentum", "hybrid_momentum"]
    assert rows["hot calls (score >= min_score)"][1] == "3 (>= 0.5)"
    charts = results.find_all("figure", class_="chart")
    assert [c.find("figcaption").text().split(" A B")[0] for c in charts] == [
        "Rank correlation (Spearman) of score and forward return",
        "Mean forward return after 5 min, by score decile",
        "Mean forward return after 15 min, by score decile",
        "Mean forward return after 60 min, by score decile",
        "Tokens flagged at least once, by hot threshold",
    ]
    # 5 min: two deciles hold samples (the quiet and the busy token) for each variant.
    assert charts[1].find("svg").attrs["data-bars"] == "4"
    assert len(charts[1].find_all("rect", class_="series-1")) == 2
    apply = results.find("form", class_="apply-b")
    assert apply.attrs["action"] == "/lab/apply/"
    assert apply.find("input", name="b-w_tx").attrs["value"] == "1.0"


def test_a_whole_page_run_keeps_the_form(staff_client: Client, recent_history: None) -> None:
    response = staff_client.get("/lab/", query())

    html = parse(response.content)
    assert html.find("input", name="a-w_tx").attrs["value"] == "0.25"
    assert len(html.find_all("figure", class_="chart")) == 5


def test_a_bad_value_runs_nothing_and_says_why(staff_client: Client) -> None:
    response = staff_client.get("/lab/", query(b={"ewma_alpha": 0, "w_vol": -1}), **HTMX)

    html = parse(response.content)
    errors = [li.text() for li in html.find("div", class_="errorlist-box").find_all("li")]
    assert errors == [
        "B w_vol: Ensure this value is greater than or equal to 0.0.",
        "B ewma_alpha: EWMA alpha must be above 0 and at most 1 (got 0.0).",
    ]
    assert html.find_all("figure") == []


def test_apply_saves_b_as_a_new_settings_version(staff_client: Client) -> None:
    back = urlencode(query(b={"w_tx": 1.0}))
    data = {f"b-{k}": v for k, v in {**VARIANT, "w_tx": 1.0, "ewma_alpha": 0.5}.items()}

    response = staff_client.post("/lab/apply/", {**data, "query": back, "note": "B wins"})

    saved = ScoringSettings.objects.active()
    assert response.status_code == 302
    assert response["Location"] == f"/lab/?{back}"
    assert (saved.version, saved.w_tx, saved.ewma_alpha, saved.w_vol) == (2, 1.0, 0.5, 0.25)
    assert (saved.note, saved.created_by.get_username()) == ("B wins", "staff")
    page = staff_client.get(response["Location"].split("?")[0])
    assert "B saved as version 2: it applies from the next refresh on." in page.content.decode()


def test_applying_the_active_settings_stores_nothing(staff_client: Client) -> None:
    data = {f"b-{k}": v for k, v in VARIANT.items()}

    response = staff_client.post("/lab/apply/", data, follow=True)

    assert ScoringSettings.objects.count() == 1
    assert "B equals the active settings: no new version was stored." in response.content.decode()


def test_apply_refuses_a_bad_value(staff_client: Client) -> None:
    data = {f"b-{k}": v for k, v in {**VARIANT, "w_oi": -2}.items()}

    response = staff_client.post("/lab/apply/", data, follow=True)

    assert ScoringSettings.objects.count() == 1
    assert "B was not applied" in response.content.decode()


def test_apply_only_takes_posts(staff_client: Client) -> None:
    assert staff_client.get("/lab/apply/").status_code == 405
