import pytest
from django.test import Client

from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(StaffFactory(username="staff"))
    return client


@pytest.fixture
def user_client(client: Client) -> Client:
    """Logged in, but not staff."""
    client.force_login(UserFactory(username="trader"))
    return client
