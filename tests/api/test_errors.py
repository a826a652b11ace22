"""The error shape, CORS, and the unexpected."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.exceptions import ValidationError

from moon.lib.api import exception_handler

pytestmark = pytest.mark.django_db


def test_an_unexpected_error_is_a_json_500_and_logged(caplog: Any) -> None:
    response = exception_handler(RuntimeError("boom"), {})

    assert response is not None
    assert (response.status_code, response.data) == (
        500,
        {
            "error": {
                "code": "server_error",
                "message": "Something went wrong on our side.",
                "fields": {},
            }
        },
    )
    assert "unhandled API error" in caplog.text


def test_nested_field_errors_are_flattened_to_sentences() -> None:
    exc = ValidationError(
        {"status": {0: ['"x" is not a token status.']}, "w": {"inner": ["too big"]}}
    )

    response = exception_handler(exc, {})

    assert response is not None
    assert response.data["error"]["fields"] == {
        "status": ['"x" is not a token status.'],  # a list item needs no number
        "w": ["inner: too big"],
    }


def test_cors_is_closed_by_default(client: Client) -> None:
    response = client.get("/api/tokens/", HTTP_ORIGIN="https://evil.example")

    assert "Access-Control-Allow-Origin" not in response


def test_cors_opens_to_configured_origins_on_the_api_only(client: Client, settings: Any) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example"]

    api = client.get("/api/tokens/", HTTP_ORIGIN="https://app.example")
    page = client.get("/", HTTP_ORIGIN="https://app.example")
    other = client.get("/api/tokens/", HTTP_ORIGIN="https://evil.example")

    assert api["Access-Control-Allow-Origin"] == "https://app.example"
    assert "Access-Control-Allow-Origin" not in page
    assert "Access-Control-Allow-Origin" not in other
