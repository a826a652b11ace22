"""The list's rows as PostgreSQL renders them say exactly what TokenSerializer says."""

import json
from datetime import UTC, datetime

import pytest
from django.db import connection

from moon.web.api.rows import rendered_rows
from moon.web.api.serializers import TokenSerializer
from tests.api.conftest import KNOWN_JSON
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db


def test_the_database_renders_what_the_serializer_renders(known_token: Token) -> None:
    assert connection.vendor == "postgresql"  # the path under test
    TokenFactory(  # never scored: nulls, empty JSON, a migration time without microseconds
        migrated_at=datetime(2025, 9, 18, 10, 0, 0, tzinfo=UTC),
        created_at=datetime(2025, 9, 18, 10, 0, 0, 123456, tzinfo=UTC),
    )
    TokenFactory(
        smoothed_score=0.1 + 0.2,  # a float that shows every digit
        score=1e-7,
        price_usd=6.541e-05,
        market_cap_usd=203536.0,
        price_change_5m=-97.6,
        flags=["thin", "young"],
        name='Quote " and \\ backslash ✨',
        last_updated_at=datetime(2025, 9, 18, 23, 59, 59, 999999, tzinfo=UTC),
    )
    tokens = Token.objects.order_by("id")

    fast = [json.loads(row) for row in rendered_rows(tokens)]
    slow = TokenSerializer(tokens, many=True, context={"min_score": 0.3}).data

    assert fast == [dict(row) for row in slow]
    assert fast[0] == KNOWN_JSON
    assert [list(row) for row in fast] == [list(row) for row in slow]  # the same field order
    assert [row["hot"] for row in fast] == [True, False, True]
