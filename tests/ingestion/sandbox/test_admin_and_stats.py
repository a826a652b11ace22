"""The control panel: stats, forced migrations, clock and ground truth over HTTP."""

from __future__ import annotations

import httpx
import pytest

from ingestion.sandbox import SandboxHandle
from tests.ingestion.sandbox.conftest import START_MS

pytestmark = pytest.mark.timeout(20)


def test_stats_count_requests_per_endpoint_and_statuses(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    base = sandbox.http_url
    httpx.get(f"{base}/tokens/v1/solana/{mints[0]},{mints[1]}")
    httpx.get(f"{base}/tokens/v1/solana/{mints[2]}")
    httpx.get(f"{base}/token-pairs/v1/solana/{mints[0]}")
    httpx.get(f"{base}/latest/dex/tokens/{','.join(mints[:31])}")
    sandbox.set_faults(rate_limit_rpm=4)
    httpx.get(f"{base}/token-pairs/v1/solana/{mints[0]}")

    stats = httpx.get(f"{base}/_sandbox/stats").json()

    assert stats["requests"] == {"tokens": 2, "token_pairs": 2, "latest_dex": 1, "total": 5}
    assert stats["responses"] == {"200": 3, "400": 1, "429": 1}
    assert stats["rate_limited"] == 1
    assert stats["server_errors"] == 0
    assert stats["mints_requested"] == 4
    assert stats["now_ms"] == START_MS


def test_stats_reset_zeroes_counters(sandbox: SandboxHandle, mints: list[str]) -> None:
    httpx.get(f"{sandbox.http_url}/tokens/v1/solana/{mints[0]}")

    reset = httpx.post(f"{sandbox.http_url}/_sandbox/stats/reset").json()

    assert reset["requests"]["total"] == 0
    assert reset["responses"] == {}
    assert reset["frames"] == {"ack": 0, "create": 0, "migrate": 0, "message": 0, "total": 0}


def test_a_forced_migration_becomes_a_token_with_pools(sandbox: SandboxHandle) -> None:
    forced = httpx.post(f"{sandbox.http_url}/_sandbox/migrate", json={"story": "steady"}).json()

    pairs = httpx.get(f"{sandbox.http_url}/token-pairs/v1/solana/{forced['mint']}").json()

    assert forced["migrated_at_ms"] == START_MS
    assert forced["story"] == "steady"
    assert [p["dexId"] for p in pairs] == ["pumpswap", "pumpfun"]
    assert pairs[0]["pairCreatedAt"] == START_MS
    assert sandbox.tokens()[-1]["mint"] == forced["mint"]


def test_a_forced_migration_refuses_a_bad_mint_or_story(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.http_url}/_sandbox/migrate"

    bad_mint = httpx.post(url, json={"mint": "not-a-mint"})
    bad_story = httpx.post(url, json={"story": "moon"})
    bad_body = httpx.post(url, content=b"[1]")

    assert bad_mint.status_code == bad_story.status_code == bad_body.status_code == 400
    assert bad_story.json() == {
        "error": "unknown story 'moon'; choose from pump, steady, fade, rug"
    }


def test_the_clock_can_be_advanced_and_sped_up(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.http_url}/_sandbox/clock"

    moved = httpx.post(url, json={"advance_s": 90}).json()
    refused = httpx.post(url, json={"advance_ms": -5})
    paced = httpx.post(url, json={"speed": 0}).json()

    assert moved == {"now_ms": START_MS + 90_000, "start_ms": START_MS, "speed": 0}
    assert refused.status_code == 400
    assert paced["speed"] == 0


def test_ground_truth_lists_graduated_and_launched_tokens(sandbox: SandboxHandle) -> None:
    page = httpx.get(f"{sandbox.http_url}/_sandbox/tokens", params={"limit": 5}).json()
    everything = httpx.get(f"{sandbox.http_url}/_sandbox/tokens?status=launched&limit=0").json()

    assert page["count"] == 40
    assert len(page["tokens"]) == 5
    assert everything["count"] == 40
    first = page["tokens"][0]
    assert list(first) == [
        "mint", "name", "symbol", "uri", "creator", "create_signature", "signature", "story",
        "created_at_ms", "migrated_at_ms", "pump_at_ms", "rug_at_ms", "pools", "risk",
        "habits",
    ]  # fmt: skip
    assert first["migrated_at_ms"] < START_MS
    assert [t["migrated_at_ms"] for t in everything["tokens"]] == sorted(
        t["migrated_at_ms"] for t in everything["tokens"]
    )
