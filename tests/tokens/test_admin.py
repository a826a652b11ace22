"""Staff find tokens in admin and see their pools and recent scores."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PoolFactory, StaffFactory, TokenFactory, TokenScoreFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(StaffFactory())
    return client


def listed(response) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(token.symbol for token in response.context["cl"].result_list)


@pytest.mark.parametrize("field", ["mint_address", "symbol", "name"])
def test_it_searches_tokens_by_mint_symbol_and_name(staff_client: Client, field: str) -> None:
    wanted = TokenFactory(symbol="BONK", name="Bonk Inu")
    TokenFactory(symbol="WIF", name="Dog hat")

    response = staff_client.get(
        reverse("admin:tokens_token_changelist"), {"q": getattr(wanted, field)}
    )

    assert listed(response) == ["BONK"]


def test_it_filters_tokens_by_status(staff_client: Client) -> None:
    TokenFactory(symbol="A", status=Token.Status.ACTIVE)
    TokenFactory(symbol="M", status=Token.Status.MONITORING)

    response = staff_client.get(
        reverse("admin:tokens_token_changelist"), {"status__exact": "active"}
    )

    assert listed(response) == ["A"]


def test_the_token_page_shows_its_pools_and_latest_scores(staff_client: Client) -> None:
    token = TokenFactory()
    pool = PoolFactory(token=token, dex_id="meteora")
    for i in range(25):
        TokenScoreFactory(token=token, score=i / 100)

    response = staff_client.get(reverse("admin:tokens_token_change", args=[token.pk]))

    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    assert [form.instance for form in formsets["pools"].forms] == [pool]
    scores = [form.instance.score for form in formsets["scores"].forms]
    assert scores == [i / 100 for i in range(24, 4, -1)]
