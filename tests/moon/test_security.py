"""Hostile requests get clean refusals; error pages and logs never show a secret."""

import json
import logging

import pytest
from django.test import Client, override_settings
from django.urls import path

from moon.lib.logging import JsonFormatter, mask_secrets
from scoring.services.settings import scoring_settings_save
from tests.factories import TokenFactory, UserFactory

pytestmark = pytest.mark.django_db

# Joined at run time: the debug page shows this file's source lines, not their values.
DB_PASSWORD = "-".join(("hunter2", "db"))
REDIS_PASSWORD = "-".join(("s3cret", "redis"))


def _boom(request: object) -> None:
    url = f"redis://:{REDIS_PASSWORD}@redis.internal:6379/0"  # a local the page would show
    raise RuntimeError(f"a defect near {url.split('@')[1]}")


urlpatterns = [path("boom/", _boom)]


@pytest.mark.parametrize(
    ("url", "content_type"),
    [
        ("/tokens/%00/", "text/plain; charset=utf-8"),
        ("/?q=%00", "text/plain; charset=utf-8"),
        ("/api/tokens/%00/", "application/json"),
        ("/api/tokens/?search=a%00b", "application/json"),
    ],
)
def test_a_nul_byte_in_a_url_is_a_400_not_a_500(
    client: Client, url: str, content_type: str
) -> None:
    TokenFactory()
    response = client.get(url)

    assert (response.status_code, response["Content-Type"]) == (400, content_type)
    assert b"NUL byte" in response.content


def test_an_oversized_body_is_refused_with_413_before_it_is_read(client: Client) -> None:
    body = b"{" + b" " * (2_621_440 + 10) + b"}"
    response = client.generic("PATCH", "/api/settings/", body, content_type="application/json")

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_json_nested_too_deeply_is_a_400(client: Client) -> None:
    client.force_login(UserFactory(is_staff=True))
    body = '{"note": ' + "[" * 5000 + "]" * 5000 + "}"
    response = client.generic("PATCH", "/api/settings/", body, content_type="application/json")

    assert response.status_code == 400
    assert "nests too deeply" in response.json()["error"]["message"]


@override_settings(
    DEBUG=True,
    ROOT_URLCONF=__name__,
    DATABASE_URL=f"postgres://moon:{DB_PASSWORD}@db.internal:5432/moon",
    REDIS_URL=f"redis://:{REDIS_PASSWORD}@redis.internal:6379/0",
    CELERY_BROKER_URL=f"redis://:{REDIS_PASSWORD}@redis.internal:6379/0",
    CELERY_RESULT_BACKEND=f"redis://:{REDIS_PASSWORD}@redis.internal:6379/0",
    MOON_NOTE=f"reach it at https://ops:{DB_PASSWORD}@admin.internal/",  # named innocently
)
def test_the_debug_500_page_never_shows_a_connection_string() -> None:
    client = Client(raise_request_exception=False)
    response = client.get("/boom/", HTTP_X_DATABASE_URL=f"postgres://u:{DB_PASSWORD}@x/y")

    page = response.content.decode()
    assert response.status_code == 500
    assert "a defect" in page  # it is the technical page
    assert "DATABASE_URL" in page
    assert DB_PASSWORD not in page
    assert REDIS_PASSWORD not in page


def test_staff_names_are_for_staff_only(client: Client) -> None:
    scoring_settings_save(changes={"min_score": 0.4}, user=UserFactory(username="ops-anna"))

    anonymous = client.get("/api/settings/").json()
    client.force_login(UserFactory(is_staff=True))
    staff = client.get("/api/settings/").json()

    assert anonymous["created_by"] is None
    assert staff["created_by"] == "ops-anna"


def test_logins_are_locked_after_five_failures(client: Client) -> None:
    UserFactory(username="ops", password="right-password", is_staff=True)
    for _ in range(4):
        failed = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "wrong"})
        assert failed.status_code == 200  # the form again, with its error
    fifth = client.post("/admin/login/?next=/admin/", {"username": "ops", "password": "wrong"})
    locked = client.post(
        "/admin/login/?next=/admin/", {"username": "ops", "password": "right-password"}
    )

    assert (fifth.status_code, locked.status_code) == (429, 429)
    assert "_auth_user_id" not in client.session


@override_settings(NUM_PROXIES=1)
def test_behind_a_proxy_a_lock_out_is_per_client_not_per_proxy(client: Client) -> None:
    UserFactory(username="ops", password="right-password", is_staff=True)
    login = "/admin/login/?next=/admin/"
    wrong = {"username": "ops", "password": "wrong"}
    for _ in range(5):
        client.post(login, wrong, HTTP_X_FORWARDED_FOR="198.51.100.7", REMOTE_ADDR="10.0.0.1")

    attacker = client.post(
        login,
        {"username": "ops", "password": "right-password"},
        HTTP_X_FORWARDED_FOR="198.51.100.7",
        REMOTE_ADDR="10.0.0.1",
    )
    owner = Client().post(
        login,
        {"username": "ops", "password": "right-password"},
        HTTP_X_FORWARDED_FOR="203.0.113.9",  # the same proxy, another client
        REMOTE_ADDR="10.0.0.1",
    )

    assert (attacker.status_code, owner.status_code) == (429, 302)


def test_a_forged_forwarded_for_does_not_dodge_the_lock_out_without_proxies(
    client: Client,
) -> None:
    UserFactory(username="ops", password="right-password", is_staff=True)
    login = "/admin/login/?next=/admin/"
    for n in range(5):
        client.post(login, {"username": "ops", "password": "x"}, HTTP_X_FORWARDED_FOR=f"1.1.1.{n}")

    locked = client.post(login, {"username": "ops", "password": "right-password"})

    assert locked.status_code == 429


def test_a_successful_login_still_works(client: Client) -> None:
    UserFactory(username="ops", password="right-password", is_staff=True)
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "ops", "password": "right-password"}
    )

    assert (response.status_code, response["Location"]) == (302, "/admin/")


def test_pages_carry_a_strict_content_security_policy(client: Client) -> None:
    policy = client.get("/")["Content-Security-Policy"]

    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (
            "connected to wss://pumpportal.fun/api/data?api-key=abc123&x=1",
            "connected to wss://pumpportal.fun/api/data?api-key=***&x=1",
        ),
        ("https://rpc.example/?token=t0k", "https://rpc.example/?token=***"),
        ("postgres://moon:pw@db:5432/moon", "postgres://moon:***@db:5432/moon"),
        ("redis://:pw@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("nothing secret: a=b, c@d", "nothing secret: a=b, c@d"),
        ("token=abc at the start", "token=*** at the start"),
        ("Authorization: Token abc123", "Authorization: Token ***"),
        ("{'api_key': 'abc'}", "{'api_key': '***'}"),
        ("postgres://u:pa@ss@host/db", "postgres://u:***@host/db"),
        ("keyboard=1", "keyboard=1"),
    ],
)
def test_secrets_in_urls_are_masked(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def test_every_log_line_is_masked_message_and_traceback_alike() -> None:
    url = "wss://pumpportal.fun/api/data?api-key=abc123"
    try:
        raise ConnectionError(f"cannot reach {url}")
    except ConnectionError as exc:
        record = logging.LogRecord(
            "ingestion",
            logging.ERROR,
            __file__,
            1,
            "connected to %s",
            (url,),
            (type(exc), exc, None),
        )
    line = JsonFormatter().format(record)

    assert "abc123" not in line
    assert json.loads(line)["message"] == "connected to wss://pumpportal.fun/api/data?api-key=***"
