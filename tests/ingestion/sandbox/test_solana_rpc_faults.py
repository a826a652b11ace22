"""Each Solana RPC fault does what it says, over real HTTP, and the RPC's stats count it."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from ingestion.sandbox import SandboxHandle, running_sandbox
from ingestion.sandbox.chain import slot_at
from ingestion.sandbox.faults import FaultSettings
from ingestion.sandbox.keys import MIGRATION_ACCOUNT, TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from tests.ingestion.sandbox.conftest import START_MS, quiet
from tests.ingestion.sandbox.solana import TX_CONFIG, all_signatures, call, post, result

pytestmark = pytest.mark.timeout(30)
SLOT = {"jsonrpc": "2.0", "id": 7, "method": "getSlot", "params": []}
RATE_LIMITED = {
    "code": 429,
    "message": "Too many requests for a specific RPC call, contact your app developer or "
    "support@rpcpool.com.",
}


def test_http_429_with_and_without_retry_after(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rpc_rate_limit=2, rpc_rate_limit_window_s=30)

    answers = [post(sandbox, SLOT) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert answers[2].headers["Retry-After"] == "30"
    assert "Retry-After" not in answers[3].headers
    assert (
        answers[2].json() == answers[3].json() == {"jsonrpc": "2.0", "error": RATE_LIMITED, "id": 7}
    )
    assert answers[2].headers["Content-Type"] == "application/json"
    assert sandbox.stats()["rpc"]["rate_limited"] == 2


def test_the_next_429s_and_their_retry_after_can_be_fixed(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rpc_http429_next=2, rpc_retry_after="always")

    statuses = [post(sandbox, SLOT) for _ in range(3)]

    assert [(a.status_code, a.headers.get("Retry-After")) for a in statuses] == [
        (429, "10"),
        (429, "10"),
        (200, None),
    ]


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        (
            "node_behind",
            {
                "code": -32005,
                "message": "Node is behind by 150 slots",
                "data": {"numSlotsBehind": 150},
            },
        ),
        (
            "node_unhealthy",
            {"code": -32005, "message": "Node is unhealthy", "data": {"numSlotsBehind": None}},
        ),
        ("rate_limited", {"code": -32429, "message": "Rate limit exceeded"}),
        ("internal", {"code": -32603, "message": "Internal error"}),
        (
            "index_overloaded",
            {"code": -32603, "message": "account index service overloaded, please try again."},
        ),
        (
            "long_term_storage",
            {"code": -32019, "message": "Failed to query long-term storage; please try again"},
        ),
    ],
)
def test_json_rpc_errors_come_with_http_200(
    sandbox: SandboxHandle, kind: str, error: dict[str, Any]
) -> None:
    sandbox.set_faults(rpc_error_next=1, rpc_error=kind)

    failed, fine = post(sandbox, SLOT), post(sandbox, SLOT)

    assert (failed.status_code, failed.json()) == (200, {"jsonrpc": "2.0", "error": error, "id": 7})
    assert fine.json() == {"jsonrpc": "2.0", "result": slot_at(START_MS - 13_000), "id": 7}
    assert sandbox.stats()["rpc"]["errors"] == {str(error["code"]): 1}


def test_an_error_can_target_one_method(sandbox: SandboxHandle, mints: list[str]) -> None:
    sandbox.set_faults(
        rpc_error_rate=1.0, rpc_error="index_overloaded", rpc_error_method="getTokenLargestAccounts"
    )

    largest = call(sandbox, "getTokenLargestAccounts", mints[0])
    supply = call(sandbox, "getTokenSupply", mints[0])

    assert largest["error"]["code"] == -32603
    assert "result" in supply


def test_without_a_token_index_largest_accounts_answer_32010(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rpc_no_token_index=True)
    tokens = {t["risk"]["token_program"]: t["mint"] for t in sandbox.tokens()}

    for program, name in ((TOKEN_PROGRAM, "spl-token"), (TOKEN_2022_PROGRAM, "spl-token-2022")):
        answer = call(sandbox, "getTokenLargestAccounts", tokens[name], request_id="fdc6addf")
        assert answer == {
            "jsonrpc": "2.0",
            "error": {
                "code": -32010,
                "message": f"{program} excluded from account secondary indexes; this RPC "
                "method unavailable for key",
            },
            "id": "fdc6addf",
        }


def test_latency_is_added_and_a_hang_times_the_client_out(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rpc_latency_ms=300)
    started = time.monotonic()
    post(sandbox, SLOT)
    slow = time.monotonic() - started
    sandbox.set_faults(rpc_latency_ms=0, rpc_hang_next=1)

    with pytest.raises(httpx.ReadTimeout):
        post(sandbox, SLOT, timeout=0.5)
    after = post(sandbox, SLOT, timeout=5)

    assert slow >= 0.3
    assert after.status_code == 200
    stats = sandbox.stats()["rpc"]
    assert (stats["latency_added_ms"], stats["hung"], stats["requests"]) == (300, 1, 3)


def horizon_sandbox(mode: str) -> Any:
    return running_sandbox(
        quiet(faults=FaultSettings(rpc_history_horizon_s=3 * 3600, rpc_history_mode=mode))
    )


def test_an_empty_history_horizon_ends_the_list() -> None:
    with horizon_sandbox("empty") as sandbox:
        kept = all_signatures(sandbox, MIGRATION_ACCOUNT, limit=10)
        old = next(t for t in sandbox.tokens() if t["migrated_at_ms"] < START_MS - 3 * 3600 * 1000)
        pruned = call(sandbox, "getTransaction", old["signature"], TX_CONFIG)
        truth = [
            t for t in sandbox.chain_migrations() if t["block_time"] >= START_MS // 1000 - 3 * 3600
        ]

    assert [e["signature"] for e in kept] == [
        t["signature"] for t in truth if t["block_time"] <= (START_MS - 13_000) // 1000
    ]
    assert pruned == {"jsonrpc": "2.0", "result": None, "id": 1}


@pytest.mark.parametrize(
    ("mode", "code", "words"),
    [
        ("skipped", -32007, "was skipped, or missing due to ledger jump to recent snapshot"),
        ("missing", -32009, "was skipped, or missing in long-term storage"),
    ],
)
def test_pruned_history_answers_a_slot_error(mode: str, code: int, words: str) -> None:
    with horizon_sandbox(mode) as sandbox:
        old = next(t for t in sandbox.tokens() if t["migrated_at_ms"] < START_MS - 3 * 3600 * 1000)
        everything = call(sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT)
        recent = result(sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT, {"limit": 5})
        caught_up = result(
            sandbox,
            "getSignaturesForAddress",
            MIGRATION_ACCOUNT,
            {"until": recent[-1]["signature"]},
        )
        pruned = call(sandbox, "getTransaction", old["signature"], TX_CONFIG)

    assert everything["error"]["code"] == code
    assert everything["error"]["message"].endswith(words)
    assert [e["signature"] for e in caught_up] == [e["signature"] for e in recent[:4]]
    assert pruned["error"] == {
        "code": code,
        "message": f"Slot {slot_at(old['migrated_at_ms'])} {words}",
    }


def test_recent_entries_can_lack_a_block_time(sandbox: SandboxHandle) -> None:
    sandbox.set_faults(rpc_block_time_lag_s=3600)

    entries = result(sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT)

    late = START_MS - 3600 * 1000
    truth = {t["signature"]: t["block_time"] for t in sandbox.chain_migrations()}
    assert all(
        e["blockTime"] is None
        if truth[e["signature"]] * 1000 > late
        else e["blockTime"] == truth[e["signature"]]
        for e in entries
    )
    assert any(e["blockTime"] is None for e in entries)


def test_dexscreener_faults_leave_the_rpc_alone_and_the_reverse(
    sandbox: SandboxHandle, mints: list[str]
) -> None:
    sandbox.set_faults(error_rate=1.0, rpc_error_rate=1.0)

    rpc = post(sandbox, SLOT).json()
    pairs = httpx.get(f"{sandbox.http_url}/token-pairs/v1/solana/{mints[0]}")

    assert rpc["error"]["code"] == -32005
    assert pairs.status_code == 503
    stats = sandbox.stats()
    assert stats["requests"]["total"] == 1
    assert stats["rpc"]["requests"] == 1


def test_protocol_errors_and_batches(sandbox: SandboxHandle) -> None:
    batch = [SLOT, {**SLOT, "id": 8, "method": "getHealth"}, {**SLOT, "id": 9, "method": "nope"}]

    answered = post(sandbox, batch).json()
    garbage = httpx.post(sandbox.rpc_url, content=b"{not json").json()
    empty = post(sandbox, []).json()
    wrong = post(sandbox, {"jsonrpc": "1.0", "id": 3, "method": "getSlot"}).json()
    stats = sandbox.stats()["rpc"]

    assert answered == [
        {"jsonrpc": "2.0", "result": slot_at(START_MS - 13_000), "id": 7},
        {"jsonrpc": "2.0", "result": "ok", "id": 8},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": 9},
    ]
    assert garbage == {
        "jsonrpc": "2.0",
        "error": {"code": -32700, "message": "Parse error"},
        "id": None,
    }
    assert empty["error"] == wrong["error"] == {"code": -32600, "message": "Invalid request"}
    assert stats["calls"] == {"getHealth": 1, "getSlot": 1, "nope": 1, "total": 3}
    assert stats["errors"] == {"-32700": 1, "-32601": 1, "-32600": 2}
    assert stats["responses"] == {"200": 4}
    assert httpx.get(sandbox.rpc_url).status_code == 405


def test_rpc_faults_are_validated_like_the_others(sandbox: SandboxHandle) -> None:
    url = f"{sandbox.http_url}/_sandbox/faults"

    bad_kind = httpx.post(url, json={"rpc_error": "tired"})
    bad_method = httpx.post(url, json={"rpc_error_method": "getBlock"})
    bad_rate = httpx.post(url, json={"ws_omit_migration_rate": 2})

    assert bad_kind.status_code == bad_method.status_code == bad_rate.status_code == 400
    assert bad_rate.json() == {"error": "ws_omit_migration_rate is a fraction between 0 and 1"}
