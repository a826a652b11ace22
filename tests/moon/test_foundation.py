"""The foundation's promises that cross process boundaries."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import connection
from django.test import Client
from django.utils import timezone

from moon.celery import app
from scoring.models import ScoringSettings
from scoring.services.settings import scoring_settings_save
from scoring.tasks import archive_tokens
from tests.factories import TokenFactory
from tokens.models import Token

ROOT = Path(__file__).resolve().parents[2]


def database_env() -> dict[str, str]:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url", ["/admin/", "/admin/tokens/token/", "/admin/scoring/scoringsettings/"]
)
def test_admin_pages_send_an_anonymous_visitor_to_the_login(client: Client, url: str) -> None:
    response = client.get(url)

    assert (response.status_code, response["Location"].split("?")[0]) == (302, "/admin/login/")


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
def test_a_task_round_trips_through_the_real_redis_broker() -> None:
    TokenFactory(created_at=timezone.now() - timedelta(hours=13))  # past monitoring_timeout_hours
    TokenFactory()
    ScoringSettings.objects.get_or_create(version=1)

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        archived = archive_tokens.delay().get(timeout=30)

    assert archived == 1
    assert Token.objects.filter(status=Token.Status.ARCHIVED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_settings_change_is_what_another_process_reads_next() -> None:
    ScoringSettings.objects.get_or_create(version=1)
    scoring_settings_save(changes={"w_oi": 0.6})

    code = (
        "import django; django.setup(); from scoring.models import ScoringSettings; "
        "s = ScoringSettings.objects.active(); print(s.version, s.w_oi)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=database_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert result.stdout.strip() == "2 0.6"


@pytest.mark.django_db
def test_the_admin_lists_the_dependencies_as_last_judged_read_only(admin_client: Client) -> None:
    from moon.operations.models import Dependency

    Dependency.objects.create(
        name="workers", status="failing", since=timezone.now(), reason="no Celery worker alive"
    )

    listing = admin_client.get("/admin/operations/dependency/")
    adding = admin_client.get("/admin/operations/dependency/add/")

    assert listing.status_code == 200
    assert b"no Celery worker alive" in listing.content
    assert adding.status_code == 403
