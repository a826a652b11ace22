"""The migration account's history over real HTTP: every graduation, the noise around them,
paging with before/until as a node does, and the migrate transactions themselves."""

from __future__ import annotations

import base64
from collections import Counter
from random import Random
from typing import Any

import pytest
from solders.pubkey import Pubkey

from ingestion.sandbox import SandboxHandle
from ingestion.sandbox.chain import slot_at
from ingestion.sandbox.keys import (
    MIGRATION_ACCOUNT,
    PUMP_PROGRAM,
    SYSTEM_PROGRAM,
    WSOL_MINT,
    random_signature,
    short_base58,
    signature_bytes,
)
from ingestion.sandbox.layouts import anchor_discriminator
from tests.ingestion.sandbox.solana import (
    TX_CONFIG,
    all_signatures,
    assert_shaped_like,
    backfill,
    call,
    capture,
    graduated_mint,
    result,
)

pytestmark = pytest.mark.timeout(60)
NOISE = ("race_lost", "premature", "already_migrated", "spoof")


def listing(sandbox: SandboxHandle, **config: Any) -> list[dict[str, Any]]:
    return list(result(sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT, config))


def transaction(sandbox: SandboxHandle, signature: str) -> dict[str, Any]:
    return dict(result(sandbox, "getTransaction", signature, TX_CONFIG))


def test_every_graduation_is_listed_with_its_feed_signature_and_time(
    sandbox: SandboxHandle,
) -> None:
    tokens = sandbox.tokens()

    entries = {e["signature"]: e for e in all_signatures(sandbox, MIGRATION_ACCOUNT)}

    for token in tokens:
        entry = entries[token["signature"]]
        assert entry["blockTime"] == token["migrated_at_ms"] // 1000
        assert entry["slot"] == slot_at(token["migrated_at_ms"])
        assert (entry["err"], entry["confirmationStatus"]) == (None, "finalized")
    truth = sandbox.chain_migrations()
    assert [t["signature"] for t in truth] == list(entries)
    assert Counter(t["kind"] for t in truth) == {
        "migrate": 40,
        "spoof": 68,
        "race_lost": 6,
        "premature": 4,
        "already_migrated": 3,
    }


def test_a_careful_backfill_finds_exactly_the_graduations(sandbox: SandboxHandle) -> None:
    truth = {t["mint"]: t["migrated_at_ms"] // 1000 for t in sandbox.tokens()}

    assert backfill(sandbox) == truth


def test_mere_mentions_of_migrate_would_fool_a_careless_backfill(sandbox: SandboxHandle) -> None:
    mints = {t["mint"] for t in sandbox.tokens()}
    careless: Counter[str] = Counter()

    for entry in all_signatures(sandbox, MIGRATION_ACCOUNT):
        tx = transaction(sandbox, entry["signature"])
        if any("Instruction: Migrate" in line for line in tx["meta"]["logMessages"]):
            for instruction in tx["transaction"]["message"]["instructions"]:
                if len(instruction.get("accounts", ())) > 2:
                    careless[instruction["accounts"][2]] += 1

    assert set(careless) > mints  # look-alike programs name made-up mints
    assert max(careless.values()) >= 2  # no-ops and failed races name real ones again


def test_pages_with_before_and_until_walk_the_list_exactly(sandbox: SandboxHandle) -> None:
    full = listing(sandbox)
    signatures = [e["signature"] for e in full]

    paged = [e["signature"] for e in all_signatures(sandbox, MIGRATION_ACCOUNT, limit=7)]
    newer = listing(sandbox, until=signatures[20])
    between = listing(sandbox, before=signatures[5], until=signatures[9])
    unknown_before = listing(sandbox, before=random_signature(Random(1)))
    unknown_until = listing(sandbox, until=random_signature(Random(2)))

    assert len(full) == 121
    assert paged == signatures
    assert [e["signature"] for e in newer] == signatures[:20]
    assert [e["signature"] for e in between] == signatures[6:9]
    assert unknown_before == []
    assert unknown_until == full
    keys = [(e["slot"], signature_bytes(e["signature"])) for e in full]
    assert keys == sorted(keys, reverse=True)  # newest first, by signature inside a slot
    for limit in (0, 1001):
        answer = call(sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT, {"limit": limit})
        assert answer["error"] == {"code": -32602, "message": "Invalid limit; max 1000"}


def test_entries_are_shaped_like_mainnet(sandbox: SandboxHandle) -> None:
    answer = call(sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT, {"limit": 3})
    entries = listing(sandbox)
    memos = {e["memo"] for e in entries}
    with_memo = next(e for e in entries if e["memo"])

    assert [list(e) for e in answer["result"]] == [
        ["blockTime", "confirmationStatus", "err", "memo", "signature", "slot", "transactionIndex"]
    ] * 3
    assert memos == {None, "[7] migrate"}
    assert_shaped_like(answer, capture("getSignaturesForAddress-sava-software-1"))
    assert_shaped_like(with_memo, capture("getSignaturesForAddress-p2p-org-1")["result"][0])


def noise(sandbox: SandboxHandle) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in NOISE}
    for entry in sandbox.chain_migrations():
        if entry["kind"] in found:
            found[entry["kind"]].append(entry)
    return found


def pump_instruction(tx: dict[str, Any]) -> dict[str, Any]:
    return next(
        i for i in tx["transaction"]["message"]["instructions"] if i["programId"] == PUMP_PROGRAM
    )


def test_failed_and_no_op_migrates_are_listed_and_skippable(sandbox: SandboxHandle) -> None:
    graduations = {t["mint"]: t for t in sandbox.tokens()}
    kinds = noise(sandbox)

    for entry in kinds["race_lost"] + kinds["premature"]:
        tx = transaction(sandbox, entry["signature"])
        code = 6040 if entry["kind"] == "race_lost" else 6006
        err = {"InstructionError": [2, {"Custom": code}]}
        assert tx["meta"]["err"] == entry["err"] == err
        assert tx["meta"]["status"] == {"Err": err}
        assert tx["meta"]["logMessages"][-1].endswith(f"failed: custom program error: {hex(code)}")
        graduation = graduations[pump_instruction(tx)["accounts"][2]]
        if code == 6040:
            assert tx["slot"] == slot_at(graduation["migrated_at_ms"])
        else:
            assert tx["blockTime"] < graduation["migrated_at_ms"] // 1000
        assert graduated_mint(tx) is None
    for entry in kinds["already_migrated"]:
        tx = transaction(sandbox, entry["signature"])
        assert tx["meta"]["err"] is None
        assert "Program log: Bonding curve already migrated" in tx["meta"]["logMessages"]
        graduation = graduations[pump_instruction(tx)["accounts"][2]]
        assert tx["blockTime"] > graduation["migrated_at_ms"] // 1000
        assert graduated_mint(tx) is None


def test_spoofs_send_one_lamport_and_never_call_pump_fun(sandbox: SandboxHandle) -> None:
    mints = {t["mint"] for t in sandbox.tokens()}
    spoofs = noise(sandbox)["spoof"]
    lookalikes = 0

    for entry in spoofs:
        tx = transaction(sandbox, entry["signature"])
        instructions = tx["transaction"]["message"]["instructions"]
        transfer = next(i for i in instructions if i.get("program") == "system")
        assert transfer["parsed"] == {
            "info": {"destination": MIGRATION_ACCOUNT, "lamports": 1, "source": entry["signer"]},
            "type": "transfer",
        }
        assert all(i["programId"] != PUMP_PROGRAM for i in instructions)
        assert tx["meta"]["err"] is None
        assert graduated_mint(tx) is None
        if entry["mint"] is not None:
            lookalikes += 1
            assert entry["mint"] not in mints
            assert "Program log: Instruction: Migrate" in tx["meta"]["logMessages"]

    assert 0 < lookalikes < len(spoofs)


def test_a_graduation_reads_like_a_mainnet_migrate_v2(sandbox: SandboxHandle) -> None:
    token = next(t for t in sandbox.tokens() if t["risk"]["migrate_instruction"] == "migrate_v2")
    holders = sandbox.holders(token["mint"])
    pool = next(r["owner"] for r in holders["accounts"] if r["role"] == "pool_vault")

    tx = transaction(sandbox, token["signature"])

    assert_shaped_like(
        {"jsonrpc": "2.0", "result": tx, "id": 1},
        capture("getTransaction-chainstacklabs-1"),
        skip=frozenset({"info", "preTokenBalances"}),
    )
    assert (tx["version"], tx["blockTime"], tx["slot"]) == (
        0,
        token["migrated_at_ms"] // 1000,
        slot_at(token["migrated_at_ms"]),
    )
    assert tx["transaction"]["signatures"] == [token["signature"]]
    keys = tx["transaction"]["message"]["accountKeys"]
    assert keys[0] == {
        "pubkey": keys[0]["pubkey"],
        "signer": True,
        "source": "transaction",
        "writable": True,
    }
    assert [k["pubkey"] for k in keys if k["signer"]] == [keys[0]["pubkey"]]
    migrate = pump_instruction(tx)
    assert len(migrate["accounts"]) == 29
    assert migrate["accounts"][1:4] == [MIGRATION_ACCOUNT, token["mint"], WSOL_MINT]
    assert migrate["accounts"][10] == pool
    assert migrate["data"] == short_base58(anchor_discriminator("global", "migrate_v2"))
    assert migrate["stackHeight"] is None
    logs = tx["meta"]["logMessages"]
    assert logs[4:6] == [
        f"Program {PUMP_PROGRAM} invoke [1]",
        "Program log: Instruction: MigrateV2",
    ]
    assert logs[-1] == f"Program {PUMP_PROGRAM} success"
    event = base64.b64decode(next(x for x in logs if x.startswith("Program data: velduVyU6p"))[14:])
    assert str(Pubkey(event[40:72])) == token["mint"]
    vault = next(
        b
        for b in tx["meta"]["postTokenBalances"]
        if b["owner"] == pool and b["mint"] == token["mint"]
    )
    assert int(vault["uiTokenAmount"]["amount"]) == int.from_bytes(event[72:80], "little")
    assert 150 * 10**12 < int(vault["uiTokenAmount"]["amount"]) < 260 * 10**12
    assert len(tx["meta"]["preBalances"]) == len(tx["meta"]["postBalances"]) == len(keys)
    assert sum(tx["meta"]["preBalances"]) - sum(tx["meta"]["postBalances"]) == tx["meta"]["fee"]
    assert tx["meta"]["innerInstructions"][0]["index"] == 2


def test_a_migrate_v1_puts_the_mint_third_too(sandbox: SandboxHandle) -> None:
    token = next(t for t in sandbox.tokens() if t["risk"]["migrate_instruction"] == "migrate")

    tx = transaction(sandbox, token["signature"])

    migrate = pump_instruction(tx)
    assert len(migrate["accounts"]) == 25
    assert migrate["accounts"][2] == token["mint"]
    assert "Program log: Instruction: Migrate" in tx["meta"]["logMessages"]
    assert graduated_mint(tx) == token["mint"]


def test_get_transaction_refuses_what_a_node_refuses(sandbox: SandboxHandle) -> None:
    signature = sandbox.tokens()[0]["signature"]

    legacy = call(sandbox, "getTransaction", signature, {"encoding": "jsonParsed"})
    processed = call(sandbox, "getTransaction", signature, {**TX_CONFIG, "commitment": "processed"})
    unknown = call(sandbox, "getTransaction", random_signature(Random(3)), TX_CONFIG)
    other = call(sandbox, "getTransaction", signature, {**TX_CONFIG, "encoding": "base64"})

    assert legacy["error"] == {
        "code": -32015,
        "message": "Transaction version (0) is not supported by the requesting client. Please "
        "try the request again with the following configuration parameter: "
        '"maxSupportedTransactionVersion": 0',
    }
    assert processed["error"] == {
        "code": -32602,
        "message": "Method does not support commitment below `confirmed`",
    }
    assert unknown == {"jsonrpc": "2.0", "result": None, "id": 1}
    assert other["error"]["code"] == -32602
    assert call(sandbox, "getTransaction", "not-a-signature", TX_CONFIG)["error"] == {
        "code": -32602,
        "message": "Invalid param: Invalid",
    }
    assert SYSTEM_PROGRAM in {
        k["pubkey"]
        for k in transaction(sandbox, signature)["transaction"]["message"]["accountKeys"]
    }
