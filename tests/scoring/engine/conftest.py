import pytest


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """The engine is pure: its tests need no Redis, so the project-wide flush is overridden."""
