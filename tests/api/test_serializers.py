"""The token list's fast rendering says exactly what DRF's field machinery would."""

from datetime import UTC, datetime

import pytest
from rest_framework import serializers

from moon.web.api.serializers import TokenSerializer
from tests.api.conftest import KNOWN_JSON
from tests.factories import TokenFactory
from tokens.models import Token

pytestmark = pytest.mark.django_db


CONTEXT = {"min_score": 0.3}


def drf_rendering(token: Token) -> dict:
    serializer = TokenSerializer(context=CONTEXT)
    return dict(serializers.ModelSerializer.to_representation(serializer, token))


def test_a_scored_token_renders_as_drf_would(known_token: Token) -> None:
    token = Token.objects.get(pk=known_token.pk)

    assert TokenSerializer(token, context=CONTEXT).data == drf_rendering(token) == KNOWN_JSON


def test_a_token_never_scored_renders_as_drf_would() -> None:
    token = Token.objects.get(
        pk=TokenFactory(migrated_at=datetime(2025, 9, 18, 10, 0, 0, 123456, tzinfo=UTC)).pk
    )

    rendered = TokenSerializer(token, context=CONTEXT).data

    assert rendered == drf_rendering(token)
    assert (rendered["migrated_at"], rendered["scored_at"], rendered["metrics"]) == (
        "2025-09-18T10:00:00.123456Z",
        None,
        {},
    )
