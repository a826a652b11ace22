"""Every log line names its process and, inside a request or a task, the request or task."""

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from moon.celery import app as celery_app
from moon.lib.logging import record_to_dict

pytestmark = pytest.mark.django_db


class Lines(logging.Handler):
    """Renders each record as the JSON formatter would, when it is logged."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record_to_dict(record))


@pytest.fixture
def lines() -> Iterator[Lines]:
    handler = Lines()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


def test_a_request_s_log_lines_and_its_answer_carry_one_request_id(
    client: Client, lines: Lines
) -> None:
    response = client.get("/no-such-page/")
    other = client.get("/no-such-page/")

    (line,) = [line for line in lines.lines if line["logger"] == "django.request"][:1]
    assert response.status_code == 404
    assert line["request_id"] == response["X-Request-ID"]
    assert len(response["X-Request-ID"]) == 16
    assert other["X-Request-ID"] != response["X-Request-ID"]
    assert "process" in line


def test_a_client_s_plain_request_id_is_kept_and_anything_else_replaced(client: Client) -> None:
    kept = client.get("/version", HTTP_X_REQUEST_ID="lb-7f3a2c91")
    replaced = client.get("/version", HTTP_X_REQUEST_ID="<script>")

    assert kept["X-Request-ID"] == "lb-7f3a2c91"
    assert replaced["X-Request-ID"] not in {"<script>", ""}


@celery_app.task(name="tests.log_context.say")
def say() -> None:
    logging.getLogger("tests.say").info("inside the task")


def test_a_task_s_log_lines_carry_its_id_and_name_and_only_inside_it(lines: Lines) -> None:
    result = say.apply()
    logging.getLogger("tests.say").info("after the task")

    inside, after = [line for line in lines.lines if line["logger"] == "tests.say"]
    assert (inside["task_id"], inside["task"]) == (result.id, "tests.log_context.say")
    assert "task_id" not in after
