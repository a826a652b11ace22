"""What the database itself guarantees."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from scoring.models import ScoringSettings
from tests.factories import TokenFactory, fake_address
from tokens.models import Token

pytestmark = pytest.mark.django_db


def test_a_mint_is_unique() -> None:
    token = TokenFactory()

    with pytest.raises(IntegrityError), transaction.atomic():
        Token.objects.create(mint_address=token.mint_address)


def test_a_migration_signature_is_unique_but_may_be_missing() -> None:
    TokenFactory(migration_signature="sig")
    Token.objects.create(mint_address=fake_address(901), migration_signature=None)
    Token.objects.create(mint_address=fake_address(902), migration_signature=None)

    with pytest.raises(IntegrityError), transaction.atomic():
        Token.objects.create(mint_address=fake_address(903), migration_signature="sig")


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [("mint_address", "0OIl-not-base58", "invalid_mint"), ("status", "mooning", "invalid_choice")],
)
def test_validation_refuses_bad_mints_and_statuses(field: str, value: str, code: str) -> None:
    token = TokenFactory.build(**{field: value})

    with pytest.raises(ValidationError) as error:
        token.full_clean()

    assert [e.code for e in error.value.error_dict[field]] == [code]


def test_the_database_refuses_a_negative_weight_or_an_alpha_out_of_range() -> None:
    for bad in ({"w_tx": -1.0}, {"ewma_alpha": 0.0}, {"ewma_alpha": 1.5}):
        with pytest.raises(IntegrityError), transaction.atomic():
            ScoringSettings.objects.create(version=99, **bad)
