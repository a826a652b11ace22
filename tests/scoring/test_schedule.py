"""The lease: a group refresh takes its due tokens, in batches of 30, and each token once."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from scoring.services.schedule import BATCH_SIZE, LEASE_SECONDS, tokens_lease_due
from tests.factories import TokenFactory
from tokens.models import Token


def leased(batches: list[list[int]]) -> list[int]:
    return sorted(token_id for batch in batches for token_id in batch)


@pytest.mark.django_db
def test_due_tokens_are_leased_once() -> None:
    now = timezone.now()
    due = [TokenFactory(last_updated_at=now - timedelta(seconds=200)) for _ in range(3)]

    first = tokens_lease_due(group="cold", now=now)
    second = tokens_lease_due(group="cold", now=now + timedelta(seconds=1))

    assert leased(first) == sorted(t.pk for t in due)
    assert second == []
    leases = set(Token.objects.values_list("refresh_lease_until", flat=True))
    assert leases == {now + timedelta(seconds=LEASE_SECONDS)}


@pytest.mark.django_db
def test_an_expired_lease_hands_the_token_out_again() -> None:
    now = timezone.now()
    token = TokenFactory(last_updated_at=now - timedelta(seconds=200))
    tokens_lease_due(group="cold", now=now)

    again = tokens_lease_due(group="cold", now=now + timedelta(seconds=LEASE_SECONDS + 1))

    assert again == [[token.pk]]


@pytest.mark.django_db
def test_only_tokens_past_their_interval_are_due() -> None:
    now = timezone.now()
    cold_due = TokenFactory(last_updated_at=now - timedelta(seconds=116))  # 120 s, 5 s slack
    TokenFactory(last_updated_at=now - timedelta(seconds=114))
    never = TokenFactory(last_updated_at=None)
    hot_due = TokenFactory(smoothed_score=0.5, last_updated_at=now - timedelta(seconds=26))
    TokenFactory(smoothed_score=0.5, last_updated_at=now - timedelta(seconds=24))
    TokenFactory(status=Token.Status.ARCHIVED, last_updated_at=now - timedelta(days=1))

    cold = tokens_lease_due(group="cold", now=now)
    hot = tokens_lease_due(group="hot", now=now)

    assert leased(cold) == sorted([cold_due.pk, never.pk])
    assert hot == [[hot_due.pk]]


@pytest.mark.django_db
def test_hot_and_cold_follow_the_smoothed_score() -> None:
    now = timezone.now()
    long_ago = now - timedelta(hours=1)
    hot = TokenFactory(smoothed_score=0.3, last_updated_at=long_ago)  # min_score is hot
    cold = TokenFactory(smoothed_score=0.29, last_updated_at=long_ago)
    unscored = TokenFactory(smoothed_score=None, last_updated_at=None)

    assert leased(tokens_lease_due(group="hot", now=now)) == [hot.pk]
    assert leased(tokens_lease_due(group="cold", now=now)) == sorted([cold.pk, unscored.pk])


@pytest.mark.django_db
def test_due_tokens_come_in_batches_of_thirty_oldest_first() -> None:
    now = timezone.now()
    tokens = [TokenFactory(last_updated_at=now - timedelta(seconds=200 + n)) for n in range(65)]

    batches = tokens_lease_due(group="cold", now=now)

    assert BATCH_SIZE == 30
    assert [len(batch) for batch in batches] == [30, 30, 5]
    assert [token_id for batch in batches for token_id in batch] == [t.pk for t in tokens[::-1]]


@pytest.mark.django_db
def test_an_unknown_group_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown group 'warm'"):
        tokens_lease_due(group="warm")


@pytest.mark.django_db(transaction=True)
def test_overlapping_calls_never_hand_out_the_same_token_twice() -> None:
    now = timezone.now()
    ids = [TokenFactory(last_updated_at=now - timedelta(seconds=200)).pk for _ in range(90)]
    start = threading.Barrier(4)
    results: list[list[list[int]]] = []

    def beat() -> None:
        try:
            start.wait()
            results.append(tokens_lease_due(group="cold", now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    handed_out = [token_id for batches in results for batch in batches for token_id in batch]
    assert len(results) == 4
    assert sorted(handed_out) == sorted(ids)  # every token once, none twice
