"""Fixtures for the sandbox market: a quiet, frozen sandbox unless a test says otherwise."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingestion.sandbox import SandboxConfig, SandboxHandle, running_sandbox

START_MS = 1_772_427_561_000
EXAMPLE_PAIR = json.loads((Path(__file__).parents[2] / "data" / "pair_example.json").read_text())

# Frozen clock, no scheduled events, 40 tokens already graduated: nothing moves unless told.
QUIET = SandboxConfig(
    port=0,
    seed=7,
    speed=0,
    start_ms=START_MS,
    migrations_per_hour=0,
    creates_per_minute=0,
    tokens=40,
)


def quiet(**changes: Any) -> SandboxConfig:
    return dataclasses.replace(QUIET, **changes)


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """The sandbox touches no Redis: these tests run without one, Django plugin or not."""


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox(QUIET) as handle:
        yield handle


@pytest.fixture
def mints(sandbox: SandboxHandle) -> list[str]:
    return [token["mint"] for token in sandbox.tokens()]
