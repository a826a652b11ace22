"""Reconciliation against a loopback Solana node answering in the real shapes."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT
from ingestion.models import ChainMigration, ReconcileMark
from ingestion.services.reconcile import ReconcileReport, migrations_reconcile
from tests.factories import TokenFactory
from tests.ingestion.chain import Chain, Tx, coin, graduation, serving, spoof
from tests.ingestion.clients.solana_node import Canned
from tests.queue import queued_tasks
from tokens.models import Token

pytestmark = [pytest.mark.django_db, pytest.mark.timeout(60)]

NOW = datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
T = int(NOW.timestamp())
CommitCapture = Callable[..., Any]


def at(seconds_ago: int) -> datetime:
    return datetime.fromtimestamp(T - seconds_ago, UTC)


def history() -> dict[str, Tx]:
    """Seven transactions touching the migration account in the last ten minutes."""
    return {
        "missed": graduation("missed", 110, T - 60),
        "spoof": spoof("spoof", 109, T - 120),
        "known": graduation("known", 108, T - 180),
        "raced": graduation("raced", 107, T - 240, err=True),
        "no-op": graduation("no-op", 106, T - 300, no_op=True, mint=coin("known")),
        "inner": graduation("inner", 105, T - 360, via=coin("bot-program")),
        "v1": graduation("v1", 104, T - 400, v1=True),
    }


@pytest.fixture
def txs() -> dict[str, Tx]:
    return history()


@pytest.fixture
def chain(txs: dict[str, Tx]) -> Chain:
    chain = Chain()
    chain.add(*txs.values())
    return chain


@pytest.fixture
def known_token(txs: dict[str, Tx]) -> Token:
    """What the feed heard: the migration "known", under the chain's own signature."""
    return TokenFactory(
        mint_address=coin("known"), migration_signature=txs["known"].signature, migrated_at=at(179)
    )


@pytest.fixture
def node_client(chain: Chain) -> Iterator[Any]:
    with serving(chain, max_attempts=1) as served:
        yield served


def reconcile(client: Any, **options: Any) -> ReconcileReport:
    return migrations_reconcile(client=client, now=NOW, **options)


def tokens() -> list[tuple[str, str, datetime | None]]:
    rows = Token.objects.order_by("migrated_at").values_list(
        "mint_address", "source", "migrated_at"
    )
    return list(rows)


def test_it_registers_what_the_feed_missed_with_its_block_time(
    node_client: Any,
    known_token: Token,
    txs: dict[str, Tx],
    redis_client: redis.Redis,
    django_capture_on_commit_callbacks: CommitCapture,
) -> None:
    node, client = node_client

    with django_capture_on_commit_callbacks(execute=True):
        report = reconcile(client)

    assert tokens() == [
        (coin("v1"), "chain", at(400)),
        (coin("inner"), "chain", at(360)),
        (known_token.mint_address, "feed", at(179)),
        (coin("missed"), "chain", at(60)),
    ]
    assert (report.result, report.listed, report.failed, report.known, report.read) == (
        "ok",
        7,
        1,
        1,
        5,
    )
    assert (report.noise, report.registered, report.pending, report.error) == (2, 3, 0, "")
    assert report.registered_mints == [coin("v1"), coin("inner"), coin("missed")]
    # The failed one and the one the feed had cost no request; the rest, oldest first.
    read = [params[0] for method, params in zip(node.methods, node.params, strict=True)]
    assert node.methods == ["getSignaturesForAddress"] + ["getTransaction"] * 5
    assert read[1:] == [txs[name].signature for name in ("v1", "inner", "no-op", "spoof", "missed")]
    new = Token.objects.filter(source="chain").order_by("pk")
    assert sorted(queued_tasks(redis_client)) == [
        ("scoring.refresh_batch", [[token.pk]], {"group": "new"}) for token in new
    ]


def test_it_records_what_the_chain_saw_and_who_had_it_first(
    node_client: Any, known_token: Token, txs: dict[str, Tx]
) -> None:
    reconcile(node_client[1])

    recorded = ChainMigration.objects.order_by("block_time").values_list(
        "signature", "mint_address", "slot", "block_time", "heard_by"
    )
    assert list(recorded) == [
        (txs["v1"].signature, coin("v1"), 104, at(400), "chain"),
        (txs["inner"].signature, coin("inner"), 105, at(360), "chain"),
        (txs["known"].signature, coin("known"), 108, at(180), "feed"),
        (txs["missed"].signature, coin("missed"), 110, at(60), "chain"),
    ]
    mark = ReconcileMark.objects.get(account=MIGRATION_ACCOUNT)
    assert (mark.signature, mark.slot, mark.block_time) == (txs["missed"].signature, 110, at(60))
    assert (mark.checked_until, mark.last_run_at, mark.last_error) == (NOW, NOW, "")


def test_a_second_run_asks_only_for_what_is_newer_and_changes_nothing(
    node_client: Any, known_token: Token, txs: dict[str, Tx], redis_client: redis.Redis
) -> None:
    node, client = node_client
    reconcile(client)
    before = (tokens(), ChainMigration.objects.count(), queued_tasks(redis_client))
    node.requests.clear()

    again = reconcile(client)

    assert (tokens(), ChainMigration.objects.count(), queued_tasks(redis_client)) == before
    assert (again.result, again.listed, again.read, again.registered) == ("ok", 0, 0, 0)
    assert node.params == [
        [
            MIGRATION_ACCOUNT,
            {"limit": 1000, "commitment": "confirmed", "until": txs["missed"].signature},
        ]
    ]


def test_it_pages_back_with_before_and_forward_with_until(
    chain: Chain, node_client: Any, txs: dict[str, Tx]
) -> None:
    node, client = node_client
    reconcile(client, page_size=3)
    newer = graduation("newer", 111, T - 30)
    chain.add(newer)
    node.requests.clear()

    second = reconcile(client, page_size=3)

    assert second.registered_mints == [coin("newer")]
    assert node.methods == ["getSignaturesForAddress", "getTransaction"]
    assert node.params == [
        [
            MIGRATION_ACCOUNT,
            {"limit": 3, "commitment": "confirmed", "until": txs["missed"].signature},
        ],
        [
            newer.signature,
            {
                "encoding": "jsonParsed",
                "maxSupportedTransactionVersion": 0,
                "commitment": "confirmed",
            },
        ],
    ]


def test_the_first_run_pages_back_until_a_page_comes_short(node_client: Any) -> None:
    node, client = node_client

    report = reconcile(client, page_size=3)

    listings = [params[1] for method, params in zip(node.methods, node.params, strict=True)]
    pages = [
        p for m, p in zip(node.methods, listings, strict=True) if m == "getSignaturesForAddress"
    ]
    newest_first = sorted(history().values(), key=lambda tx: tx.slot, reverse=True)
    assert [page.get("before") for page in pages] == [
        None,
        newest_first[2].signature,
        newest_first[5].signature,
    ]
    assert report.listed == 7


def test_the_look_back_bounds_how_far_it_pages(chain: Chain, node_client: Any) -> None:
    node, client = node_client
    chain.add(*(graduation(f"old-{i}", 50 + i, T - 7200 - i) for i in range(6)))

    report = reconcile(client, page_size=3, hours=0.5)

    assert report.listed == 7
    assert node.methods.count("getSignaturesForAddress") == 3  # the third page holds the floor
    assert not Token.objects.filter(mint_address__in=[coin(f"old-{i}") for i in range(6)]).exists()


def test_an_rpc_failure_ends_the_run_with_its_progress_kept(
    chain: Chain, txs: dict[str, Tx], node_client: Any
) -> None:
    node, client = node_client
    broken = txs["inner"].signature
    answer = node.answer

    def flaky(request: dict[str, Any]) -> Canned:
        if request["method"] == "getTransaction" and request["params"][0] == broken:
            return Canned(status=503, raw=b"upstream unavailable")
        return answer(request)

    node.answer = flaky  # type: ignore[method-assign]
    first = reconcile(client)
    node.answer = answer  # type: ignore[method-assign]
    node.requests.clear()
    second = reconcile(client)

    assert (first.result, first.registered_mints, first.pending) == ("partial", [coin("v1")], 6)
    assert first.error.startswith(f"reading {broken}: getTransaction: http_5xx: HTTP 503")
    assert node.params[0][1]["until"] == txs["v1"].signature
    assert (second.result, second.registered_mints) == (
        "ok",
        [coin("inner"), coin("known"), coin("missed")],
    )
    assert ReconcileMark.objects.get().last_error == ""


def test_a_listing_failure_fails_the_run_without_raising(node_client: Any) -> None:
    node, client = node_client
    node.canned.append(
        Canned(payload={"jsonrpc": "2.0", "error": {"code": -32005, "message": "Node is behind"}})
    )

    report = reconcile(client)

    assert (report.result, report.listed, Token.objects.count()) == ("failed", 0, 0)
    assert ReconcileMark.objects.get().last_error == (
        "listing signatures: getSignaturesForAddress: node_behind: Node is behind"
    )


def test_signatures_without_a_block_time_wait_for_the_next_run(
    chain: Chain, node_client: Any
) -> None:
    client = node_client[1]
    fresh = graduation("fresh", 120, None)
    chain.add(fresh)

    first = reconcile(client)
    fresh.block_time = T - 5
    assert fresh.body is not None
    fresh.body["blockTime"] = T - 5
    second = reconcile(client)

    assert (first.result, first.pending, coin("fresh") in first.registered_mints) == (
        "ok",
        1,
        False,
    )
    assert second.registered_mints == [coin("fresh")]
    assert Token.objects.get(mint_address=coin("fresh")).migrated_at == at(5)


def test_an_older_signature_without_a_block_time_takes_its_transactions(
    chain: Chain, node_client: Any
) -> None:
    client = node_client[1]
    late = graduation("late-time", 108, None, mint=coin("late-time"))
    assert late.body is not None
    late.body["blockTime"] = T - 185  # the transaction knows; the listing did not yet
    chain.add(late)

    report = reconcile(client)

    assert (report.result, report.pending) == ("ok", 0)
    assert Token.objects.get(mint_address=coin("late-time")).migrated_at == at(185)


def test_a_transaction_the_node_does_not_serve_waits_a_little_then_is_skipped(
    chain: Chain, node_client: Any
) -> None:
    client = node_client[1]
    young = graduation("young", 130, T - 20)
    young.body = None
    old = graduation("old", 129, T - 900)
    old.body = None
    chain.txs = []
    chain.add(old, young)

    report = reconcile(client)

    assert (report.result, report.unreadable, report.read) == ("partial", 1, 0)
    assert report.stopped == f"{young.signature} is not served yet"
    assert ReconcileMark.objects.get().signature == old.signature
