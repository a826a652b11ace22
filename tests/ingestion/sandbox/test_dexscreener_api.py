"""The DexScreener side over real HTTP: shapes, limits, determinism and time."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from ingestion.sandbox import Market, SandboxHandle, running_sandbox
from tests.ingestion.sandbox.conftest import EXAMPLE_PAIR, QUIET, START_MS, quiet

pytestmark = pytest.mark.timeout(20)
NUMBER = (int, float)


def json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, NUMBER):
        return "number"
    return type(value).__name__


def assert_same_shape(pair: dict[str, Any], example: dict[str, Any]) -> None:
    """Same keys in the same order (optional ones may be absent), same JSON types."""
    optional = {"labels", "info", "boosts", "liquidity"}
    assert [k for k in example if k in pair] == [k for k in pair if k in example]
    assert set(example) - set(pair) <= optional
    assert set(pair) - set(example) <= {"labels"}
    for key in ("baseToken", "quoteToken", "txns", "volume", "liquidity", "info"):
        if key in pair:
            assert list(pair[key]) == list(example[key])
    for key in set(pair) & set(example):
        assert json_type(pair[key]) == json_type(example[key]), key
    for window, counts in pair["txns"].items():
        assert {k: type(v) for k, v in counts.items()} == {"buys": int, "sells": int}, window
    assert all(isinstance(v, NUMBER) for v in pair["volume"].values())
    assert set(pair["priceChange"]) <= {"m5", "h1", "h6", "h24"}
    assert all(isinstance(pair[k], int) for k in ("fdv", "marketCap", "pairCreatedAt"))
    assert float(pair["priceUsd"]) > 0
    assert float(pair["priceNative"]) > 0


def featured_mint() -> str:
    """A token of the quiet market whose pools carry a profile and boosts at start."""
    market = Market(seed=QUIET.seed, start_ms=START_MS, preseed_tokens=QUIET.tokens)
    return next(s.mint for s in market.tokens(START_MS) if s.boosts and s.info_from_ms <= START_MS)


def test_it_answers_pairs_in_the_real_shape(sandbox: SandboxHandle) -> None:
    mint = featured_mint()

    response = httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{mint}")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    pairs = response.json()
    amm = next(p for p in pairs if p["dexId"] == "pumpswap")
    assert list(amm) == list(EXAMPLE_PAIR)
    assert_same_shape(amm, EXAMPLE_PAIR)
    assert amm["baseToken"]["address"] == mint
    assert amm["url"] == f"https://dexscreener.com/solana/{amm['pairAddress'].lower()}"
    assert amm["quoteToken"] == EXAMPLE_PAIR["quoteToken"]
    for pair in pairs:
        assert_same_shape(pair, EXAMPLE_PAIR)


def test_every_pair_of_the_market_has_the_real_shape(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    pairs = httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{','.join(mints[:30])}").json()

    for pair in pairs:
        assert_same_shape(pair, EXAMPLE_PAIR)
    curves = [p for p in pairs if p["dexId"] == "pumpfun"]
    assert len(curves) == 30
    assert all("liquidity" not in p for p in curves)
    assert {p["baseToken"]["address"] for p in pairs} == set(mints[:30])


def test_it_refuses_more_than_30_addresses(sandbox: SandboxHandle, mints: list[str]) -> None:
    batch = ",".join(mints[:31])

    tokens = httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{batch}")
    latest = httpx.get(f"{sandbox.http_url}/latest/dex/tokens/{batch}")

    assert tokens.status_code == 400
    assert tokens.json() == {"error": "Too many addresses, maximum is 30"}
    assert latest.status_code == 400


def test_token_pairs_lists_every_pool_and_nothing_for_unknown(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    known = httpx.get(f"{sandbox.http_url}/token-pairs/v1/solana/{mints[0]}")
    unknown = httpx.get(f"{sandbox.http_url}/token-pairs/v1/solana/{'1' * 32}")

    assert known.status_code == 200
    assert {p["baseToken"]["address"] for p in known.json()} == {mints[0]}
    assert known.json() == httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{mints[0]}").json()
    assert unknown.status_code == 200
    assert unknown.content == b"[]"


def test_latest_dex_wraps_pairs_and_says_null_when_none(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    found = httpx.get(f"{sandbox.http_url}/latest/dex/tokens/{mints[0]},{mints[1]}").json()
    none = httpx.get(f"{sandbox.http_url}/latest/dex/tokens/{'1' * 32}")

    assert list(found) == ["schemaVersion", "pairs"]
    assert found["schemaVersion"] == "1.0.0"
    tokens = httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{mints[0]},{mints[1]}").json()
    assert found["pairs"] == tokens
    assert none.content == b'{"schemaVersion":"1.0.0","pairs":null}'


def test_same_seed_serves_byte_identical_answers_and_another_seed_does_not() -> None:
    with running_sandbox(QUIET) as first, running_sandbox(QUIET) as second:
        mints = [t["mint"] for t in first.tokens()][:30]
        path = f"/tokens/v1/solana/{','.join(mints)}"
        one = httpx.get(first.http_url + path).content
        two = httpx.get(second.http_url + path).content
        first.advance(seconds=600)
        second.advance(seconds=600)
        one_later = httpx.get(first.http_url + path).content
        two_later = httpx.get(second.http_url + path).content
    with running_sandbox(quiet(seed=8)) as other:
        other_mints = [t["mint"] for t in other.tokens()][:30]
        three = httpx.get(f"{other.http_url}/tokens/v1/solana/{','.join(other_mints)}").content

    assert one == two
    assert one_later == two_later
    assert one_later != one
    assert set(other_mints).isdisjoint(mints)
    assert three != one


def test_the_speed_factor_runs_simulated_time() -> None:
    with running_sandbox(quiet(speed=60)) as sandbox:
        real_start = time.monotonic()
        sim_start = sandbox.clock()["now_ms"]
        time.sleep(0.5)
        sim_end = sandbox.clock()["now_ms"]
        real_elapsed = time.monotonic() - real_start

    assert sim_start - START_MS < 60 * 1000 * 5
    assert 0.5 * 60_000 <= sim_end - sim_start <= real_elapsed * 60_000


def test_advancing_the_clock_moves_the_market(sandbox: SandboxHandle, mints: list[str]) -> None:
    url = f"{sandbox.http_url}/token-pairs/v1/solana/{mints[-1]}"
    before = httpx.get(url).json()

    assert sandbox.advance(seconds=3600) == START_MS + 3_600_000
    after = httpx.get(url).json()

    assert sandbox.clock() == {"now_ms": START_MS + 3_600_000, "start_ms": START_MS, "speed": 0}
    assert {p["pairAddress"] for p in before} <= {p["pairAddress"] for p in after}
    assert [p["txns"] for p in after] != [p["txns"] for p in before]
