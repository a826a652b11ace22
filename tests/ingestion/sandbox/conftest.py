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


# One graduation per chain trait a risk panel reads, forced at the start, then 20 s so they
# are finalized: the account tests read them (module-scoped, read-only).
BENIGN = {
    "token_program": "spl-token-2022",
    "extension": None,
    "mint_authority": False,
    "freeze_authority": False,
    "holders": "spread",
    "burn_share": 0.0,
    "burned": 0,
}
VARIANTS = {
    "plain": BENIGN,
    "legacy": {**BENIGN, "token_program": "spl-token"},
    "authorities": {**BENIGN, "mint_authority": True, "freeze_authority": True},
    "concentrated": {**BENIGN, "holders": "concentrated"},
    "creator": {**BENIGN, "holders": "creator"},
    "burn": {**BENIGN, "burn_share": 0.02, "burned": 400_000_000_000},
    **{
        name: {**BENIGN, "extension": name, "freeze_authority": name == "defaultAccountState"}
        for name in (
            "permanentDelegate",
            "transferHook",
            "transferFeeConfig",
            "defaultAccountState",
            "nonTransferable",
        )
    },
}
FORCED_AT = START_MS + 20_000


@pytest.fixture(scope="module")
def forced() -> Iterator[tuple[SandboxHandle, dict[str, dict[str, Any]]]]:
    with running_sandbox(QUIET) as handle:
        tokens = {name: handle.migrate_now(traits=traits) for name, traits in VARIANTS.items()}
        handle.advance(ms=FORCED_AT - START_MS)
        yield handle, tokens


@pytest.fixture
def chain(forced: tuple[SandboxHandle, dict[str, dict[str, Any]]]) -> SandboxHandle:
    return forced[0]


@pytest.fixture
def tokens(forced: tuple[SandboxHandle, dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    return forced[1]
