import pytest
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def test_health_reports_each_dependency(client: Client) -> None:
    response = client.get("/health")

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["database"]["ok"], body["redis"]["ok"]) == ("ok", True, True)


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_health_is_503_when_redis_is_unreachable(client: Client) -> None:
    response = client.get("/health")

    assert response.status_code == 503
    assert (response.json()["status"], response.json()["redis"]["ok"]) == ("failing", False)


def test_version_names_the_build(client: Client) -> None:
    body = client.get("/version").json()

    assert (body["name"], body["version"], body["django"][:3]) == ("moon", "0.1.0", "5.2")
