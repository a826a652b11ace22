"""/settings/ (staff): the scoring settings as a form; each save is a new version."""

import pytest
from django.test import Client

from scoring.models import ScoringSettings
from scoring.services.settings import EDITABLE_FIELDS, scoring_settings_save
from tests.pages.html import parse

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def form_data(**changes: object) -> dict[str, object]:
    """What the browser posts for the active settings, with `changes`."""
    active = ScoringSettings.objects.active()
    data: dict[str, object] = {name: getattr(active, name) for name in EDITABLE_FIELDS}
    data["note"] = ""
    data.update(changes)
    return data


@pytest.mark.parametrize("path", ["/settings/", "/logs/"])
def test_anonymous_users_are_sent_to_the_admin_login(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


@pytest.mark.parametrize("path", ["/settings/", "/logs/"])
def test_users_who_are_not_staff_are_sent_to_the_admin_login(
    user_client: Client, path: str
) -> None:
    response = user_client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


def test_anonymous_users_cannot_post_settings(client: Client) -> None:
    response = client.post("/settings/", form_data(w_tx=5))

    assert response.status_code == 302
    assert ScoringSettings.objects.count() == 2  # the versions the migrations write


def test_the_form_shows_the_active_version(staff_client: Client) -> None:
    scoring_settings_save(changes={"w_tx": 0.4}, note="more tx")

    response = staff_client.get("/settings/")

    html = parse(response.content)
    assert response.status_code == 200
    assert html.find("input", name="w_tx").attrs["value"] == "0.4"
    assert "value" not in html.find("input", name="note").attrs  # a note is per version
    assert html.find("h1").text() == "Scoring settings active: v3"
    legends = [legend.text() for legend in html.find_all("legend")]
    assert legends == [
        "Model",
        "Hybrid momentum v2 and Hybrid momentum weights",
        "Legacy weights",
        "Smoothing and thresholds",
        "Momentum v2: evidence and rugs",
        "Risk panel: flags and penalties",
        "Refresh cadence",
        "Pools counted",
        "Lifecycle",
        "Retention",
    ]
    fields = {i.attrs["name"] for i in html.find("form").find_all() if "name" in i.attrs}
    assert fields == set(form_data()) | {"csrfmiddlewaretoken"}


def test_the_history_lists_each_version_with_what_it_changed(staff_client: Client) -> None:
    scoring_settings_save(changes={"w_tx": 0.4, "min_score": 0.5}, note="hotter")
    scoring_settings_save(changes={"ewma_alpha": 0.5})

    response = staff_client.get("/settings/")

    rows = parse(response.content).find("table", class_="versions").find("tbody").find_all("tr")
    assert [[td.text() for td in row.find_all("td")] for row in rows] == [
        [
            "v4 active",
            rows[0].find_all("td")[1].text(),
            "—",
            "hybrid_momentum_v2",
            "ewma_alpha 0.3 → 0.5",
            "",
            "",  # the active version has nothing to revert to
        ],
        [
            "v3",
            rows[1].find_all("td")[1].text(),
            "—",
            "hybrid_momentum_v2",
            "w_tx 0.35 → 0.4 min_score 0.3 → 0.5",
            "hotter",
            "Revert to v3",
        ],
        [
            "v2",
            rows[2].find_all("td")[1].text(),
            "—",
            "hybrid_momentum_v2",
            "scoring_model_active hybrid_momentum → hybrid_momentum_v2 w_tx 0.25 → 0.35 "
            "w_vol 0.25 → 0.35 w_fresh 0.25 → 0.15 w_oi 0.25 → 0.15",
            "Scoring spec v2 (hybrid_momentum_v2) with its default weights.",
            "Revert to v2",
        ],
        [
            "v1",
            rows[3].find_all("td")[1].text(),
            "—",
            "hybrid_momentum",
            "initial",
            "Defaults of the scoring spec v1.",
            "Revert to v1",
        ],
    ]


def test_saving_stores_a_new_version_and_redirects(staff_client: Client) -> None:
    response = staff_client.post("/settings/", form_data(w_tx=0.5, note="tx matters"), follow=True)

    active = ScoringSettings.objects.active()
    assert response.redirect_chain == [("/settings/", 302)]
    assert (active.version, active.w_tx, active.note, active.created_by.username) == (
        3,
        0.5,
        "tx matters",
        "staff",
    )
    assert parse(response.content).find("ul", class_="messages").text() == (
        "Saved as version 3 (w_tx): it applies from the next refresh on."
    )


def test_an_invalid_value_shows_a_message_and_stores_nothing(staff_client: Client) -> None:
    response = staff_client.post("/settings/", form_data(ewma_alpha=1.5, w_vol=-1))

    html = parse(response.content)
    errors = {
        field.find("label").text(): field.find("div", class_="field-errors").text()
        for field in html.find_all("div", class_="invalid")
    }
    assert response.status_code == 200
    assert errors == {
        "Weight: volume momentum": "Ensure this value is greater than or equal to 0.0.",
        "Smoothing (EWMA alpha)": "EWMA alpha must be above 0 and at most 1 (got 1.5).",
    }
    assert ScoringSettings.objects.count() == 2  # the versions the migrations write


def test_an_unchanged_form_stores_no_version(staff_client: Client) -> None:
    response = staff_client.post("/settings/", form_data(note="just a note"), follow=True)

    assert ScoringSettings.objects.count() == 2  # the versions the migrations write
    assert parse(response.content).find("ul", class_="messages").text() == (
        "Nothing changed: no new version was stored."
    )


def test_an_htmx_save_answers_with_the_panel_and_the_new_history(staff_client: Client) -> None:
    response = staff_client.post("/settings/", form_data(w_oi=0.1), **HTMX)

    html = parse(response.content)
    assert response.status_code == 200
    assert response.content.lstrip().startswith(b'<div id="settings-panel"')
    assert html.find("ul", class_="messages").text() == (
        "Saved as version 3 (w_oi): it applies from the next refresh on."
    )
    assert html.find("input", name="w_oi").attrs["value"] == "0.1"
    assert html.find("tr", data_version="3").find("td", class_="changes").text() == (
        "w_oi 0.15 → 0.1"
    )


def test_an_htmx_save_with_errors_answers_with_the_panel(staff_client: Client) -> None:
    response = staff_client.post("/settings/", form_data(hot_interval_sec=1), **HTMX)

    html = parse(response.content)
    assert response.content.lstrip().startswith(b'<div id="settings-panel"')
    assert html.find("div", class_="invalid").find("div", class_="field-errors").text() == (
        "Ensure this value is greater than or equal to 5."
    )
    assert ScoringSettings.objects.count() == 2  # the versions the migrations write


def test_the_page_works_on_the_defaults_when_no_version_is_stored(staff_client: Client) -> None:
    ScoringSettings.objects.all().delete()

    response = staff_client.get("/settings/")

    html = parse(response.content)
    assert html.find("h1").text() == "Scoring settings active: v— (defaults)"
    assert html.find("tr", class_="empty").text() == "No stored version: the defaults apply."
    assert html.find("input", name="w_tx").attrs["value"] == "0.35"


def test_every_setting_has_a_human_label_and_help() -> None:
    for name in EDITABLE_FIELDS:
        field = ScoringSettings._meta.get_field(name)
        label = str(field.verbose_name)  # type: ignore[union-attr]
        assert label != name.replace("_", " "), f"{name} has a machine-made label"
        assert "_" not in label, name
        assert field.help_text, f"{name} has no help text"  # type: ignore[union-attr]


def test_a_version_can_be_reverted_to_as_a_new_version(staff_client: Client) -> None:
    scoring_settings_save(changes={"w_tx": 0.5, "min_score": 0.4}, note="experiment")
    before = ScoringSettings.objects.active()

    response = staff_client.post("/settings/revert/2/")

    active = ScoringSettings.objects.active()
    assert response.status_code == 302
    assert active.version == before.version + 1
    assert (active.w_tx, active.min_score, active.note) == (0.35, 0.3, "revert to v2")
    assert ScoringSettings.objects.get(version=before.version).w_tx == 0.5  # history kept
    page = parse(staff_client.get("/settings/").content)
    assert page.find("tr", data_version="2").find("button").text() == "Revert to v2"
    assert not page.find("tr", data_version=str(active.version)).find_all("button")


def test_reverting_to_the_active_values_stores_nothing(staff_client: Client) -> None:
    count = ScoringSettings.objects.count()

    staff_client.post("/settings/revert/2/")

    assert ScoringSettings.objects.count() == count
    assert staff_client.post("/settings/revert/99/").status_code == 404
