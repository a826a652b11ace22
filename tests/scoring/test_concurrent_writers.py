"""Writers of a token row never undo each other: a refresh, an archival, a manual refresh."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from ingestion.clients.dexscreener import BatchResult
from scoring.models import ScoringSettings, TokenScore
from scoring.services.archival import tokens_archive_due
from scoring.services.refresh import tokens_refresh
from tests.factories import TokenFactory, fake_address
from tests.pairs import pair
from tokens.models import Token


class ArchivingFetcher:
    """Answers like DexScreener, but archives the token while "the request is in flight"."""

    def __init__(self, token: Token) -> None:
        self.token = token

    def fetch_pairs(self, mints: list[str]) -> BatchResult:
        Token.objects.filter(pk=self.token.pk).update(
            status=Token.Status.ARCHIVED, archived_at=timezone.now()
        )
        return BatchResult(
            pairs={self.token.mint_address: [pair(self.token.mint_address, fake_address(1))]},
            errors={},
            requests=1,
        )


@pytest.mark.django_db
def test_a_token_archived_during_the_fetch_stays_archived() -> None:
    token = TokenFactory(status=Token.Status.MONITORING)

    report = tokens_refresh(token_ids=[token.pk], fetcher=ArchivingFetcher(token))

    token.refresh_from_db()
    assert (token.status, token.archived_at is not None) == (Token.Status.ARCHIVED, True)
    assert (report.tokens, TokenScore.objects.filter(token=token).count()) == (0, 0)


@pytest.mark.django_db
def test_archival_leaves_a_leased_token_to_its_refresh() -> None:
    now = timezone.now()
    settings = ScoringSettings.objects.active()
    old = now - timedelta(hours=13)  # past monitoring_timeout_hours
    leased = TokenFactory(created_at=old, refresh_lease_until=now + timedelta(seconds=60))
    lease_over = TokenFactory(created_at=old, refresh_lease_until=now - timedelta(seconds=1))

    assert tokens_archive_due(settings=settings, now=now) == 1

    statuses = dict(Token.objects.values_list("pk", "status"))
    assert statuses == {leased.pk: "monitoring", lease_over.pk: "archived"}


@pytest.mark.django_db(transaction=True)
def test_archival_skips_a_row_a_refresh_is_writing() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's")
    token = TokenFactory(created_at=timezone.now() - timedelta(hours=13))
    locked, release = threading.Event(), threading.Event()

    def refresh_writing() -> None:
        with transaction.atomic():
            Token.objects.select_for_update().get(pk=token.pk)
            locked.set()
            release.wait(10)
        connection.close()

    writer = threading.Thread(target=refresh_writing)
    writer.start()
    try:
        assert locked.wait(10)
        archived = tokens_archive_due(settings=ScoringSettings.objects.active(), now=timezone.now())
    finally:
        release.set()
        writer.join()

    token.refresh_from_db()
    assert (archived, token.status) == (0, Token.Status.MONITORING)
