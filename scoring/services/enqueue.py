"""Every way a refresh or a recalculation is asked for: the pages, the API and the listener.

Tasks are sent by name (moon.lib.queue): a dead broker answers within a second with
QueueUnavailable instead of holding a web thread or the listener.
"""

from datetime import datetime, timedelta

from django.utils import timezone

from moon.lib.queue import task_send
from scoring.services.schedule import LEASE_SECONDS
from tokens.models import Token

REFRESH_BATCH = "scoring.refresh_batch"
RECALCULATE = "scoring.recalculate"


def token_refresh_enqueue(*, token: Token, now: datetime | None = None) -> str:
    """Queue a refresh of `token` alone, holding its lease so that archival and the scheduler
    leave it to this refresh. The lease goes back when nothing could be queued."""
    now = now or timezone.now()
    lease = now + timedelta(seconds=LEASE_SECONDS)
    previous = token.refresh_lease_until
    Token.objects.filter(pk=token.pk).update(refresh_lease_until=lease)
    try:
        return task_send(REFRESH_BATCH, [token.pk], group="manual", track=True)
    except Exception:
        Token.objects.filter(pk=token.pk, refresh_lease_until=lease).update(
            refresh_lease_until=previous
        )
        raise


def tokens_first_refresh_enqueue(*, token_ids: list[int]) -> str:
    """The first refresh of tokens just registered (the cold group would reach them later)."""
    return task_send(REFRESH_BATCH, token_ids, group="new")


def recalculation_enqueue() -> str:
    return task_send(RECALCULATE, track=True)
