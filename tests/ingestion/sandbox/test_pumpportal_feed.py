"""The PumpPortal side over a real WebSocket: acks, frames, subscriptions, drops."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from ingestion.sandbox import SandboxHandle, running_sandbox
from tests.ingestion.sandbox.conftest import quiet

pytestmark = pytest.mark.timeout(20)
MIGRATION_ACK = {"message": "Subscribed to 'migration' events."}
NEW_TOKEN_ACK = {"message": "Successfully subscribed to token creation events."}
CREATE_KEYS = [
    "signature", "mint", "traderPublicKey", "txType", "initialBuy", "solAmount",
    "bondingCurveKey", "vTokensInBondingCurve", "vSolInBondingCurve", "marketCapSol",
    "name", "symbol", "uri", "is_mayhem_mode", "pool",
]  # fmt: skip


async def subscribe(url: str, *methods: str) -> tuple[Any, list[dict[str, Any]]]:
    socket = await websockets.connect(url)
    acks = []
    for method in methods:
        await socket.send(json.dumps({"method": method}))
        acks.append(json.loads(await asyncio.wait_for(socket.recv(), 5)))
    return socket, acks


async def migrate(sandbox: SandboxHandle, **kwargs: Any) -> dict[str, Any]:
    return await asyncio.to_thread(sandbox.migrate_now, **kwargs)


async def collect(socket: Any, seconds: float) -> list[dict[str, Any]]:
    frames = []
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while (left := until - loop.time()) > 0:
        try:
            frames.append(json.loads(await asyncio.wait_for(socket.recv(), left)))
        except TimeoutError:
            break
    return frames


def test_it_acks_subscriptions_with_the_real_texts(sandbox: SandboxHandle) -> None:
    async def scenario() -> list[dict[str, Any]]:
        socket, acks = await subscribe(sandbox.ws_url, "subscribeMigration", "subscribeNewToken")
        await socket.close()
        return acks

    assert asyncio.run(scenario()) == [MIGRATION_ACK, NEW_TOKEN_ACK]


def test_a_migration_frame_has_exactly_the_four_real_keys(sandbox: SandboxHandle) -> None:
    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        socket, _ = await subscribe(sandbox.ws_url, "subscribeMigration")
        forced = await migrate(sandbox)
        frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
        await socket.close()
        return forced, frame

    forced, frame = asyncio.run(scenario())

    assert list(frame) == ["signature", "mint", "txType", "pool"]
    assert frame == {
        "signature": forced["signature"],
        "mint": forced["mint"],
        "txType": "migrate",
        "pool": "pump-amm",
    }
    assert frame["mint"].endswith("pump")


def test_a_forced_migration_with_a_mint_uses_it_and_a_known_one_replays(
    sandbox: SandboxHandle,
) -> None:
    mint = "5446sW7E8jCzLXnT9npZNfDwBnQugVc3XdfEbqPBpump"

    first = sandbox.migrate_now(mint=mint, story="pump")
    again = sandbox.migrate_now(mint=mint)

    assert (first["mint"], first["story"], first["replayed"]) == (mint, "pump", False)
    assert again["replayed"] is True
    assert again["frame"] == first["frame"]


def test_only_subscribers_of_a_kind_hear_it_and_creates_interleave_with_migrations() -> None:
    config = quiet(speed=60, migrations_per_hour=1200, creates_per_minute=60)
    with running_sandbox(config) as sandbox:

        async def scenario() -> tuple[list[dict[str, Any]], ...]:
            both, _ = await subscribe(sandbox.ws_url, "subscribeMigration", "subscribeNewToken")
            only_migrations, _ = await subscribe(sandbox.ws_url, "subscribeMigration")
            only_creates, _ = await subscribe(sandbox.ws_url, "subscribeNewToken")
            frames = await asyncio.gather(
                collect(both, 2.5), collect(only_migrations, 2.5), collect(only_creates, 2.5)
            )
            for socket in (both, only_migrations, only_creates):
                await socket.close()
            return frames

        mixed, migrations, creates = asyncio.run(scenario())
        stats = sandbox.stats()

    kinds = [frame["txType"] for frame in mixed]
    assert kinds.index("create") < len(kinds) - 1 - kinds[::-1].index("migrate")
    assert kinds.index("migrate") < len(kinds) - 1 - kinds[::-1].index("create")
    assert {frame["txType"] for frame in migrations} == {"migrate"}
    assert {frame["txType"] for frame in creates} == {"create"}
    assert all(list(frame) == CREATE_KEYS for frame in creates)
    assert all(len(frame) == 4 for frame in migrations)
    assert stats["frames"]["ack"] == 4
    assert stats["frames"]["create"] >= len(creates)
    assert stats["ws"]["opened"] == 3


def test_it_drops_every_connection_on_command() -> None:
    with running_sandbox(quiet()) as sandbox:

        async def scenario() -> ConnectionClosed:
            socket, _ = await subscribe(sandbox.ws_url, "subscribeMigration")
            await asyncio.to_thread(sandbox.drop_ws_now)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            return closed.value

        closed = asyncio.run(scenario())

        assert closed.rcvd is None  # an abort: no close frame
        assert sandbox.stats()["ws"] == {"opened": 1, "open": 0, "dropped": 1, "refused": 0}


def test_a_close_drop_sends_going_away() -> None:
    with running_sandbox(quiet()) as sandbox:
        sandbox.set_faults(ws_drop_mode="close")

        async def scenario() -> int | None:
            socket, _ = await subscribe(sandbox.ws_url, "subscribeMigration")
            await asyncio.to_thread(sandbox.drop_ws_now)
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(socket.recv(), 5)
            return closed.value.rcvd.code if closed.value.rcvd else None

        assert asyncio.run(scenario()) == 1001


def test_it_drops_connections_every_n_seconds() -> None:
    with running_sandbox(quiet()) as sandbox:
        sandbox.set_faults(ws_drop_every_s=0.3)

        async def scenario() -> int:
            drops = 0
            for _ in range(2):
                socket, _ = await subscribe(sandbox.ws_url, "subscribeMigration")
                with pytest.raises(ConnectionClosed):
                    await asyncio.wait_for(socket.recv(), 5)
                drops += 1
            return drops

        assert asyncio.run(scenario()) == 2
        assert sandbox.stats()["ws"]["dropped"] == 2


def test_a_silent_socket_sends_no_frame_at_all_until_it_speaks_again() -> None:
    with running_sandbox(quiet()) as sandbox:

        async def scenario() -> tuple[list[dict[str, Any]], bool, dict[str, Any]]:
            socket, _ = await subscribe(sandbox.ws_url, "subscribeMigration")
            await asyncio.to_thread(sandbox.set_faults, ws_silent=True)
            await migrate(sandbox)
            await socket.send(json.dumps({"method": "subscribeNewToken"}))
            heard = await collect(socket, 0.6)
            pong = await socket.ping()
            try:
                await asyncio.wait_for(pong, 0.6)
                ponged = True
            except TimeoutError:
                ponged = False
            await asyncio.to_thread(sandbox.set_faults, ws_silent=False)
            forced = await migrate(sandbox)
            frame = json.loads(await asyncio.wait_for(socket.recv(), 5))
            assert frame["mint"] == forced["mint"]
            await socket.close()
            return heard, ponged, frame

        heard, ponged, frame = asyncio.run(scenario())

    assert heard == []
    assert ponged is False
    assert frame["txType"] == "migrate"


def test_it_refuses_handshakes_when_told() -> None:
    with running_sandbox(quiet()) as sandbox:
        sandbox.set_faults(ws_refuse=True)

        async def scenario() -> int:
            with pytest.raises(websockets.InvalidStatus) as refused:
                await websockets.connect(sandbox.ws_url)
            return refused.value.response.status_code

        assert asyncio.run(scenario()) == 503
        assert sandbox.stats()["ws"]["refused"] == 1


def test_trade_subscriptions_answer_that_a_funded_key_is_needed(sandbox: SandboxHandle) -> None:
    async def scenario() -> list[dict[str, Any]]:
        socket, replies = await subscribe(sandbox.ws_url, "subscribeTokenTrade")
        await socket.close()
        return replies

    [reply] = asyncio.run(scenario())

    assert reply["message"].startswith("'subscribeTokenTrade' and 'subscribeAccountTrade'")
