"""The chain agrees with the market: the feed's migrations (delivered, omitted or dropped),
launches and creators, what each commitment sees, and one chain per seed."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets

from ingestion.sandbox import SandboxHandle, running_sandbox
from ingestion.sandbox.keys import MIGRATION_ACCOUNT, ata
from tests.ingestion.sandbox.conftest import START_MS, quiet
from tests.ingestion.sandbox.solana import (
    CONFIRMED,
    PARSED,
    TX_CONFIG,
    all_signatures,
    backfill,
    call,
    result,
    value,
)

pytestmark = pytest.mark.timeout(60)
WEEK_S = 7 * 24 * 3600


async def listen(sandbox: SandboxHandle, method: str, act: Any, seconds: float = 1.0) -> list[Any]:
    """Frames heard on one subscription while `act` runs (in a thread) and shortly after."""
    async with websockets.connect(sandbox.ws_url) as socket:
        await socket.send(json.dumps({"method": method}))
        await asyncio.wait_for(socket.recv(), 5)  # the ack
        await asyncio.to_thread(act)
        frames = []
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while (left := until - loop.time()) > 0:
            try:
                frames.append(json.loads(await asyncio.wait_for(socket.recv(), left)))
            except TimeoutError:
                break
        return frames


def test_migrations_the_feed_omits_or_drops_are_still_on_chain() -> None:
    with running_sandbox(quiet(tokens=0)) as sandbox:
        sandbox.set_faults(ws_omit_migration_rate=0.5)
        forced: list[dict[str, Any]] = []

        def graduate() -> None:
            forced.extend(sandbox.migrate_now() for _ in range(8))

        heard = asyncio.run(listen(sandbox, "subscribeMigration", graduate))
        sandbox.drop_ws_now()
        dropped = sandbox.migrate_now()  # nobody is listening any more
        stats = sandbox.stats()
        chain = backfill(sandbox, commitment="confirmed")
        entries = {
            e["signature"]: e
            for e in all_signatures(sandbox, MIGRATION_ACCOUNT, commitment="confirmed")
        }

    omitted = [t["mint"] for t in forced if t["frame"] not in heard]
    assert heard == [t["frame"] for t in forced if t["mint"] not in omitted]
    assert 0 < len(omitted) < 8
    assert stats["omitted_migrations"] == {"count": len(omitted), "mints": omitted}
    everything = [*forced, dropped]
    assert chain == {t["mint"]: START_MS // 1000 for t in everything}
    for token in everything:
        entry = entries[token["frame"]["signature"]]
        assert (entry["blockTime"], entry["confirmationStatus"]) == (START_MS // 1000, "confirmed")


def test_a_fresh_graduation_is_confirmed_first_then_finalized() -> None:
    with running_sandbox(quiet()) as sandbox:
        token = sandbox.migrate_now()

        def newest(**config: Any) -> dict[str, Any]:
            page = result(
                sandbox, "getSignaturesForAddress", MIGRATION_ACCOUNT, {"limit": 1, **config}
            )
            return dict(page[0])

        before = newest()
        confirmed = newest(commitment="confirmed")
        unseen = result(sandbox, "getTransaction", token["signature"], TX_CONFIG)
        seen = result(
            sandbox, "getTransaction", token["signature"], {**TX_CONFIG, "commitment": "confirmed"}
        )
        sandbox.advance(seconds=13)
        after = newest()

    assert before["signature"] != token["signature"]
    assert (confirmed["signature"], confirmed["confirmationStatus"]) == (
        token["signature"],
        "confirmed",
    )
    assert unseen is None
    assert seen["blockTime"] == START_MS // 1000
    assert (after["signature"], after["confirmationStatus"]) == (token["signature"], "finalized")


def test_one_seed_one_chain() -> None:
    answers = []
    for _ in range(2):
        with running_sandbox(quiet(tokens=10)) as sandbox:
            entries = all_signatures(sandbox, MIGRATION_ACCOUNT)
            bodies = [
                result(sandbox, "getTransaction", e["signature"], TX_CONFIG) for e in entries[:8]
            ]
            mint = sandbox.tokens()[0]["mint"]
            largest = value(sandbox, "getTokenLargestAccounts", mint)
            answers.append((entries, bodies, largest))

    assert answers[0] == answers[1]
    with running_sandbox(quiet(tokens=10, seed=8)) as other:
        assert all_signatures(other, MIGRATION_ACCOUNT) != answers[0][0]


def creates_in(sandbox: SandboxHandle, creator: str, since_s: int) -> list[str]:
    """What a risk panel counts: the creator's successful pump.fun creates since `since_s`."""
    found = []
    for entry in all_signatures(sandbox, creator, commitment="confirmed"):
        if entry["err"] is not None or (entry["blockTime"] or 0) < since_s:
            continue
        tx = result(
            sandbox, "getTransaction", entry["signature"], {**TX_CONFIG, "commitment": "confirmed"}
        )
        logs = tx["meta"]["logMessages"]
        signer = tx["transaction"]["message"]["accountKeys"][0]["pubkey"]
        if signer == creator and (
            {"Program log: Instruction: CreateV2", "Program log: Instruction: Create"} & set(logs)
        ):
            found.append(entry["signature"])
    return found


def test_a_serial_creators_launches_can_be_counted_on_chain() -> None:
    with running_sandbox(quiet(tokens=150)) as sandbox:
        busiest = max(sandbox.creators(), key=lambda c: len(c["launches"]))
        creator = busiest["creator"]
        tokens = {t["mint"]: t for t in sandbox.tokens() if t["creator"] == creator}
        everything = all_signatures(sandbox, creator, commitment="confirmed")
        counted = creates_in(sandbox, creator, START_MS // 1000 - WEEK_S)

    launches = busiest["launches"]
    assert len(launches) >= 4
    assert sorted(counted) == sorted(launch["signature"] for launch in launches)
    assert len(everything) > len(counted)  # funding, sells and its own migrations too
    assert {launch["mint"] for launch in launches} == set(tokens)
    for launch in launches:
        assert launch["signature"] == tokens[launch["mint"]]["create_signature"]
        entry = next(e for e in everything if e["signature"] == launch["signature"])
        assert entry["blockTime"] == launch["created_at_ms"] // 1000
    assert all(t["risk"]["serial_creator"] for t in tokens.values())


def test_launches_that_never_graduate_are_created_on_chain_by_their_feed_creator() -> None:
    with running_sandbox(quiet(tokens=0, creates_per_minute=30)) as sandbox:
        frames = asyncio.run(
            listen(sandbox, "subscribeNewToken", lambda: sandbox.advance(seconds=60))
        )
        sandbox.advance(seconds=15)
        frame = frames[0]
        tx = result(sandbox, "getTransaction", frame["signature"], TX_CONFIG)
        mint = value(sandbox, "getAccountInfo", frame["mint"], PARSED)
        largest = value(sandbox, "getTokenLargestAccounts", frame["mint"])
        serial = {c["creator"] for c in sandbox.creators()}
        serial_frames = [f for f in frames if f["traderPublicKey"] in serial]
        listed = [
            {e["signature"] for e in all_signatures(sandbox, f["traderPublicKey"])}
            for f in serial_frames
        ]

    keys = tx["transaction"]["message"]["accountKeys"]
    assert [k["pubkey"] for k in keys if k["signer"]] == [frame["traderPublicKey"], frame["mint"]]
    assert len(frames) >= 20
    assert mint["data"]["parsed"]["info"]["supply"] == "1000000000000000"
    curve_account = ata(frame["bondingCurveKey"], frame["mint"], mint["owner"])
    assert largest[0]["address"] == curve_account
    assert int(largest[0]["amount"]) > 600 * 10**12  # the curve still holds most of it
    assert serial_frames
    assert all(f["signature"] in found for f, found in zip(serial_frames, listed, strict=True))


def test_unknown_addresses_have_no_history_and_no_account(sandbox: SandboxHandle) -> None:
    stranger = "5YUMaw3fFCRMySvuYMgZJ6nB2te3wvo9QGdP3tNNpump"

    assert result(sandbox, "getSignaturesForAddress", stranger) == []
    assert value(sandbox, "getAccountInfo", stranger, CONFIRMED) is None
    assert call(sandbox, "getTokenSupply", stranger)["error"] == {
        "code": -32602,
        "message": "Invalid param: could not find account",
    }
