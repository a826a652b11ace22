"""/settings/preview/: how many live tokens a change would make hot, before it is saved."""

from typing import Any

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.utils.text import capfirst

from moon.web.pages.settings_forms import ScoringSettingsForm
from scoring.models import ScoringSettings
from scoring.services.recalculate import tokens_recalculate
from scoring.services.refresh import tokens_score
from scoring.services.settings import scoring_settings_save
from tests.factories import TokenFactory, fake_address
from tests.pages.html import parse
from tests.pairs import pair
from tokens.models import Token

pytestmark = pytest.mark.django_db


@pytest.fixture
def market() -> list[Token]:
    """Six live tokens scored by the real refresh path from DexScreener-shaped pairs, their
    trade counts spread so that the hot line cuts through them."""
    tokens = []
    for n in range(6):
        token = TokenFactory(status=Token.Status.ACTIVE)
        answer = pair(token.mint_address, fake_address(900 + n))
        answer["txns"] = {**answer["txns"], "m5": {"buys": 10 * n, "sells": 5 * n}}
        answer["volume"] = {**answer["volume"], "m5": 400.0 * n}
        tokens_score(token_ids=[token.pk], pairs={token.mint_address: [answer]}, errors={})
        tokens.append(token)
    return tokens


def form_data(**changes: Any) -> dict[str, Any]:
    active = ScoringSettings.objects.active()
    fields = ScoringSettingsForm(instance=active).fields
    data = {k: v for k, v in model_to_dict(active).items() if k in fields and v is not None}
    return {**data, "note": "", **changes}


def preview(client: Client, **changes: Any) -> dict[str, list[str]]:
    response = client.post("/settings/preview/", form_data(**changes), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    output = parse(response.content).find("output")
    return {
        row.attrs["data-preview"]: [td.text() for td in row.find_all("td")][1:]
        for row in output.find_all("tr") if "data-preview" in row.attrs
    }  # fmt: skip


def hot_count() -> int:
    line = ScoringSettings.objects.active().min_score
    return Token.objects.refreshable().filter(smoothed_score__gte=line).count()


def test_the_hot_line_moves_the_count_both_ways(staff_client: Client, market: list[Token]) -> None:
    now = hot_count()

    assert preview(staff_client, min_score=0) == {
        "all changes": [str(now), f"6 ({6 - now:+d})", "6"]
    }
    assert preview(staff_client, min_score=1e6) == {
        "all changes": [str(now), f"0 ({-now:+d})", "6"]
    }


def test_the_preview_matches_what_saving_and_recalculating_then_do(
    staff_client: Client, market: list[Token]
) -> None:
    active = ScoringSettings.objects.active()
    scores = sorted(t.smoothed_score for t in Token.objects.all())
    changes = {"w_tx": active.w_tx * 3, "min_score": round(scores[3], 4)}

    lines = preview(staff_client, **changes)
    scoring_settings_save(changes=changes, user=None, note="as previewed")
    tokens_recalculate()

    expected_after = hot_count()
    assert lines["all changes"][1].split()[0] == str(expected_after)
    labels = {capfirst(ScoringSettings._meta.get_field(name).verbose_name) for name in changes}
    assert set(lines) == {"all changes", *labels}  # and each change alone


def test_nothing_is_written_by_a_preview(staff_client: Client, market: list[Token]) -> None:
    before = list(Token.objects.order_by("pk").values_list("smoothed_score", "scored_at"))
    versions = ScoringSettings.objects.count()

    preview(staff_client, min_score=0, w_vol=9)

    assert list(Token.objects.order_by("pk").values_list("smoothed_score", "scored_at")) == before
    assert ScoringSettings.objects.count() == versions


def test_an_invalid_value_asks_for_a_fix_and_no_change_says_what_to_do(
    staff_client: Client, market: list[Token]
) -> None:
    invalid = staff_client.post("/settings/preview/", form_data(ewma_alpha=7))
    unchanged = staff_client.post("/settings/preview/", form_data())

    assert "Fix the fields marked in red" in parse(invalid.content).find("output").text()
    assert "Change a value" in parse(unchanged.content).find("output").text()


def test_only_staff_preview(client: Client) -> None:
    response = client.post("/settings/preview/", {"min_score": 0})

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_a_weight_alone_moves_the_count(staff_client: Client, market: list[Token]) -> None:
    active = ScoringSettings.objects.active()
    scores = sorted(t.smoothed_score for t in Token.objects.all())
    staff_line = {"min_score": round((scores[2] + scores[3]) / 2, 6)}
    scoring_settings_save(changes=staff_line, user=None, note="a line between the tokens")
    tokens_recalculate()
    now = hot_count()

    lines = preview(staff_client, w_tx=0, w_vol=0, w_fresh=active.w_fresh, w_oi=0)

    after = int(lines["all changes"][1].split()[0])
    assert after != now  # only trade pace and buying set them apart: without, the count moves
