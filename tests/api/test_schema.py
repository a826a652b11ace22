"""schemathesis over the whole OpenAPI schema: no 5xx, and every answer matches the schema.

Bounded and derandomized: at most 25 examples per operation, the same ones on every run.
Requests carry a staff API token so writes reach their handlers (anonymous and non-staff
writes are covered by the endpoint tests).
"""

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from moon.wsgi import application
from tests.factories import PoolFactory, TokenScoreFactory
from tokens.models import Token

# positive_data_acceptance is left out on purpose: a string can match the mint pattern
# (base58, 32-44 characters) and still not decode to 32 bytes, which is a documented 400.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def load_schema() -> Any:
    """The schema /api/schema/ serves, generated in-process (no request at collection time),
    with calls going to moon's WSGI application.

    (schemathesis.pytest.from_fixture would load it lazily, but fails on pytest 9.)
    """
    generated = SchemaGenerator().get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(OpenApiJsonRenderer().render(generated)))
    loaded.app = application
    # The event stream is an endless body, served under ASGI only: tests/api/test_stream.py
    # reads it from uvicorn and holds its refusals to the schema.
    return loaded.exclude(path="/api/stream/")


schema = load_schema()


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Django's WSGI handler closes the database connection after each request, which would
    end the test's transaction; the test client avoids it the same way."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def scored_token(known_token: Token) -> Token:
    """The example mint of the schema, with a snapshot and a pool to render."""
    TokenScoreFactory(token=known_token, metrics=known_token.metrics)
    PoolFactory(token=known_token, labels=["CPMM"])
    return known_token


@pytest.fixture
def walker_token(
    scored_token: Token,
    staff_token: str,
    keep_test_connection: None,
    throttle_rates: Callable[..., None],
) -> str:
    """What a schema walk runs with: a scored token to find, a staff API token, and throttles
    it cannot reach."""
    throttle_rates(anon="100000/min", user="100000/min", write="100000/min")
    return staff_token


@schema.parametrize()
@settings(
    max_examples=25,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_honours_its_schema(case: Any, walker_token: str) -> None:
    case.call_and_validate(headers={"Authorization": f"Token {walker_token}"}, checks=CHECKS)


@pytest.mark.django_db
def test_the_schema_and_its_docs_are_served(client: Client) -> None:
    served = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    docs = client.get("/api/docs/")

    assert (served.status_code, docs.status_code) == (200, 200)
    assert served.json()["paths"].keys() == schema.raw_schema["paths"].keys()


# The links run between tokens, their refreshes and tasks; alert rules have none, and the
# walk stays off them (their own test covers them, the walk above their schema).
linked = schema.exclude(path_regex=r"^/api/alerts/")


class ApiStateMachine(linked.as_state_machine()):  # type: ignore[misc]
    """Sequences along the schema's links: list -> token -> pools / refresh -> its task."""

    token = ""
    called: set[str] = set()

    def get_call_kwargs(self, case: Any) -> dict[str, Any]:
        ApiStateMachine.called.add(case.operation.label)
        return {"headers": {"Authorization": f"Token {self.token}"}}

    def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
        case.validate_response(response, checks=CHECKS)


def test_the_api_honours_its_schema_along_its_links(walker_token: str) -> None:
    ApiStateMachine.token = walker_token
    ApiStateMachine.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=4,
            derandomize=True,
            deadline=None,
            suppress_health_check=list(HealthCheck),
        )
    )

    # The links were followed: a token's pools, its refresh and that refresh's task.
    assert {
        "GET /api/tokens/{mint}/pools/",
        "POST /api/tokens/{mint}/refresh/",
        "GET /api/tasks/{task_id}/",
    } <= ApiStateMachine.called, ApiStateMachine.called
