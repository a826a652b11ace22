"""Staff edit scoring settings in admin: each save is a new version, bad values are refused."""

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from scoring.models import ScoringSettings
from tests.factories import PoolFactory, StaffFactory, TokenFactory, TokenScoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


def form_data(settings: ScoringSettings, **changes: object) -> dict[str, object]:
    data = {k: v for k, v in model_to_dict(settings).items() if v is not None and k != "id"}
    data.pop("created_by", None)
    data.pop("version", None)
    data.update(changes)
    return data


def test_the_migrations_write_v1_then_move_to_spec_v2_with_its_weights() -> None:
    first, settings = ScoringSettings.objects.order_by("version")

    assert (first.version, first.scoring_model_active) == (1, "hybrid_momentum")
    assert (first.w_tx, first.w_vol, first.w_fresh, first.w_oi) == (0.25,) * 4
    assert (settings.version, settings.scoring_model_active) == (2, "hybrid_momentum_v2")
    assert (settings.w_tx, settings.w_vol, settings.w_fresh, settings.w_oi) == (
        0.35,
        0.35,
        0.15,
        0.15,
    )
    assert (settings.young_minutes, settings.accel_saturation) == (10.0, 8.0)
    assert (
        settings.ewma_alpha,
        settings.min_score,
        settings.hot_interval_sec,
        settings.cold_interval_sec,
    ) == (0.3, 0.3, 30, 120)
    assert settings.to_params().excluded_dex_ids == ("pumpfun", "launchlab")


def test_saving_in_admin_creates_a_new_version_and_keeps_the_old(staff_client: Client) -> None:
    current = ScoringSettings.objects.active()
    url = reverse("admin:scoring_scoringsettings_change", args=[current.pk])

    response = staff_client.post(url, form_data(current, w_tx=0.5, note="more tx"))

    assert response.status_code == 302
    versions = list(ScoringSettings.objects.order_by("version").values_list("version", "w_tx"))
    assert versions == [(1, 0.25), (2, 0.35), (3, 0.5)]
    newest = ScoringSettings.objects.active()
    assert (newest.note, newest.created_by.is_staff) == ("more tx", True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("w_vol", -0.1, "Ensure this value is greater than or equal to 0.0."),
        ("ewma_alpha", 0, "EWMA alpha must be above 0 and at most 1 (got 0.0)."),
        ("ewma_alpha", 1.5, "EWMA alpha must be above 0 and at most 1 (got 1.5)."),
    ],
)
def test_admin_refuses_bad_values_with_a_message(
    staff_client: Client, field: str, value: float, message: str
) -> None:
    current = ScoringSettings.objects.active()
    url = reverse("admin:scoring_scoringsettings_change", args=[current.pk])

    response = staff_client.post(url, form_data(current, **{field: value}))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field] == [message]
    assert ScoringSettings.objects.count() == 2  # the versions the migrations write


def test_settings_cannot_be_deleted(staff_client: Client) -> None:
    current = ScoringSettings.objects.active()

    response = staff_client.get(reverse("admin:scoring_scoringsettings_delete", args=[current.pk]))

    assert response.status_code == 403


def test_the_token_list_shows_numbers_as_the_pages_do(staff_client: Client) -> None:
    TokenFactory(symbol="LONG", score=4.632357858399987, smoothed_score=0.1 + 0.2,
                 liquidity_usd=36295.05, risk_flags=["mint_authority"])  # fmt: skip

    html = staff_client.get("/admin/tokens/token/").content.decode()

    assert "4.632" in html
    assert "4.632357858399987" not in html
    assert "0.300" in html
    assert "$36.3K" in html
    assert "mint_authority" in html


def test_a_token_s_page_and_its_inlines_show_numbers_as_the_pages_do(
    staff_client: Client,
) -> None:
    token = TokenFactory(score=4.632357858399987, smoothed_score=0.1 + 0.2,
                         liquidity_usd=36295.05, price_usd=0.00006541,
                         market_cap_usd=65412.9, price_change_5m=12.345)  # fmt: skip
    PoolFactory(token=token, liquidity_usd=20001.5, price_usd=0.000065412345)
    TokenScoreFactory(token=token, score=0.123456789, smoothed_score=0.3)

    response = staff_client.get(f"/admin/tokens/token/{token.pk}/change/")
    html = response.content.decode()

    assert response.status_code == 200
    for text in ("4.632", "0.300", "$36.3K", "$0.0₄6541", "$65.4K", "+12.3%", "$20.0K", "0.123"):
        assert text in html
    for raw in ("4.632357858399987", "0.30000000000000004", "6.5412345e-05", "0.123456789"):
        assert raw not in html
    assert 'name="score"' not in html  # a refresh owns it: shown, never edited


def test_risk_checks_are_listed_read_only(staff_client: Client) -> None:
    assert staff_client.get("/admin/ingestion/riskcheck/").status_code == 200
    assert staff_client.get("/admin/ingestion/riskcheck/add/").status_code == 403
