"""The listener process keeps every launch it hears and, on each connection, asks the chain."""

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
import redis
from django.utils import timezone
from websockets.asyncio.server import ServerConnection

from ingestion.models import Creation
from tests.factories import fake_address
from tests.ingestion.test_listen_pumpfun import start_listener, stop, wait_for
from tests.queue import queued_tasks
from tests.wsfeed import ThreadedFeed
from tokens.models import Token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]

CAPTURES = Path("/work/shared/research/captures")
if not CAPTURES.is_dir():
    pytest.skip(f"needs the PumpPortal captures in {CAPTURES}", allow_module_level=True)


def captured_creates() -> list[str]:
    frames = []
    for name in ("frames-fritzheider-1", "frames-unidentified-1", "session-jouleka-1"):
        path = CAPTURES / f"pumpportal-{name}.json"
        for frame in json.loads(path.read_text(encoding="utf-8"))["frames"]:
            if '"txType":"create"' in frame["raw"]:
                frames.append(frame["raw"])
    return frames[:4]  # two pump launches, the journal's, and a USDC-paired one


MIGRANT = fake_address(41, "pump")
FIRST_SESSION = [
    *captured_creates(),
    json.dumps({"signature": "sigM", "mint": MIGRANT, "txType": "migrate", "pool": "pump-amm"}),
]


class DroppingFeed(ThreadedFeed):
    """Sends FIRST_SESSION on the first connection and drops it; later ones stay quiet."""

    async def handle(self, ws: ServerConnection) -> None:
        for _ in range(2):
            await ws.recv()
        if self.connections > 1:
            await ws.wait_closed()
            return
        for frame in FIRST_SESSION:
            await ws.send(frame)
        await asyncio.sleep(0.5)  # the listener reads what was sent before the drop


@pytest.fixture
def feed() -> Iterator[DroppingFeed]:
    server = DroppingFeed().start()
    yield server
    server.stop()


def test_it_stores_creations_and_queues_a_reconciliation_after_the_reconnect(
    feed: DroppingFeed, redis_client: redis.Redis
) -> None:
    started = timezone.now()
    listener = start_listener(feed)
    try:
        wait_for(lambda: feed.connections >= 2 and Creation.objects.count() == 3)
        wait_for(lambda: reconciliations(redis_client) == 2)  # at the start, after the reconnect
    finally:
        code, output = stop(listener)

    assert code == 0, output
    rows = Creation.objects.order_by("pk").values_list(
        "mint_address", "creator", "initial_buy", "symbol", "pool"
    )
    assert list(rows) == [
        (
            "97QUsKyZ1tDbBkWzowCixaZHPfMHz3ME8LQzwa9Upump",
            "HpARLxzXXfsssHUqzKE1mDC7CNF19vwQArdAvKSbwoF3",
            Decimal("27534883.660147"),
            "SLB",
            "pump",
        ),
        (
            "4233nw91CWLQXpgMBpNg6YP3PCW7ZyUVHpZTLyo7pump",
            "8AKsAJ2YTS3cMbeFidfvgMe3AK7ba6FepRcT42NPanYX",
            Decimal("3520918.746848"),
            "SLTS",
            "pump",
        ),
        (
            "g5nAdAoNfmoemZrnzHKZV3HMUofXM2fPsQ8vLBqqd2H",  # not every pump.fun mint ends in pump
            "bwamJzztZsepfkteWRChggmXuiiCQvpLqPietdNfSXa",
            Decimal("151660777.334045"),
            "t1",
            "pump",
        ),
    ]
    # The USDC-paired launch, reported under the USDC mint, is not a coin: not stored.
    assert not Creation.objects.filter(mint_address__startswith="EPjFWdd5").exists()
    times = list(Creation.objects.values_list("created_at", flat=True))
    assert all(started <= moment <= timezone.now() + timedelta(seconds=1) for moment in times)
    token = Token.objects.get(mint_address=MIGRANT)
    assert sorted(queued(redis_client)) == [
        ("ingestion.reconcile_migrations", [], {}),
        ("ingestion.reconcile_migrations", [], {}),
        ("scoring.refresh_batch", [[token.pk]], {"group": "new"}),
    ]


def queued(redis_client: redis.Redis) -> list[tuple[str, object, object]]:
    return queued_tasks(redis_client)


def reconciliations(redis_client: redis.Redis) -> int:
    return sum(name == "ingestion.reconcile_migrations" for name, _, _ in queued(redis_client))
