"""`manage.py reconcile_migrations` and the periodic task, through the process's own client."""

import time
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import redis
from django.core.management import CommandError, call_command

from ingestion.services.solana import solana_rpc_client
from ingestion.tasks import reconcile_migrations
from moon.lib.counters import counters_read
from tests.ingestion.chain import Chain, coin, graduation, spoof
from tests.ingestion.clients.solana_node import Canned, FakeSolanaNode, serve
from tests.queue import queued_tasks
from tokens.models import Token

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.timeout(60)]


@pytest.fixture
def node(settings: Any) -> Iterator[FakeSolanaNode]:
    """Two graduations and a spoof, minutes ago, behind the settings' SOLANA_RPC_URL."""
    now = int(time.time())
    chain = Chain()
    chain.add(
        graduation("first", 300, now - 600),
        spoof("noise", 301, now - 500),
        graduation("second", 302, now - 400),
    )
    node = chain.node()
    with serve(node) as url:
        settings.SOLANA_RPC_URL = url
        solana_rpc_client.cache_clear()
        yield node
    solana_rpc_client.cache_clear()


def test_the_command_registers_the_missed_migrations_and_says_so(
    node: FakeSolanaNode, redis_client: redis.Redis
) -> None:
    out = StringIO()

    call_command("reconcile_migrations", "--hours", "1", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("3 signatures to reconcile since ")
    assert lines[1:4] == [
        f"  registered {coin('first')}",
        f"  registered {coin('second')}",
        "ok: 3 signatures listed, 0 failed, 0 known, 3 read (1 not migrations, 0 unreadable), "
        "2 missed migrations registered, 0 left for the next run, in " + lines[3].split(" in ")[-1],
    ]
    assert sorted(Token.objects.values_list("mint_address", "source")) == sorted(
        [(coin("first"), "chain"), (coin("second"), "chain")]
    )
    assert len(queued_tasks(redis_client)) == 2
    counted = counters_read()
    assert counted[("moon_solana_rpc_requests", ("getSignaturesForAddress",))] == 1
    assert counted[("moon_solana_rpc_requests", ("getTransaction",))] == 3
    assert counted[("moon_reconcile_runs", ("ok",))] == 1
    assert counted[("moon_chain_migrations", ("chain",))] == 2


def test_the_task_reports_a_run_that_could_not_list_as_failed_not_raised(
    node: FakeSolanaNode,
) -> None:
    node.canned.extend([Canned(status=429, raw=b"Too many requests")] * 1)
    solana_rpc_client().max_attempts = 1

    result = reconcile_migrations()

    assert (result["result"], result["listed"]) == ("failed", 0)
    assert result["error"].startswith("listing signatures: getSignaturesForAddress: rate_limited")
    assert counters_read()[("moon_solana_rpc_responses_429", ())] == 1


def test_the_command_fails_loudly_when_it_cannot_list(node: FakeSolanaNode) -> None:
    node.canned.append(Canned(status=403, raw=b'{"error": {"code": 403, "message": "Forbidden"}}'))
    solana_rpc_client().max_attempts = 1

    with pytest.raises(CommandError, match="failed: 0 signatures listed"):
        call_command("reconcile_migrations", stdout=StringIO())


@pytest.mark.parametrize("hours", ["0", "-1", "721", "soon"])
def test_the_command_refuses_a_bad_look_back(hours: str) -> None:
    with pytest.raises(CommandError, match="argument --hours: invalid _hours value"):
        call_command("reconcile_migrations", "--hours", hours)
