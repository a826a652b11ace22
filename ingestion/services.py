"""moon's side of the outside world: the shared DexScreener client and new migrations."""

import dataclasses
import functools
import json
import logging
import os
import time
from datetime import datetime
from typing import Any

import redis
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ingestion.clients.dexscreener import DexScreenerClient
from ingestion.clients.pumpportal import ListenerState
from ingestion.clients.ratelimit import BudgetUsage, RedisTokenBucket, build_rate_limiter
from moon.metrics import dexscreener_request_observe
from moon.store import redis_store
from tokens.models import Token

logger = logging.getLogger(__name__)


DEXSCREENER_BUDGET_PREFIX = "moon:dexscreener"


@functools.cache
def dexscreener_client() -> DexScreenerClient:
    """One client per process; every process shares the request budget through Redis."""
    limiter = build_rate_limiter(
        settings.REDIS_URL, settings.DEXSCREENER_RPM, DEXSCREENER_BUDGET_PREFIX
    )
    return DexScreenerClient(
        settings.DEXSCREENER_URL, limiter=limiter, on_request=dexscreener_request_observe
    )


def dexscreener_budget_usage() -> BudgetUsage:
    """The shared budget as every process sees it, read from Redis whatever this process's own
    client fell back to."""
    bucket = RedisTokenBucket(redis_store(), DEXSCREENER_BUDGET_PREFIX, settings.DEXSCREENER_RPM)
    return bucket.usage()


def token_register_migration(
    *, mint: str, signature: str, seen_at: datetime | None = None
) -> Token | None:
    """Create the monitoring token of a migration; None when moon already knows the mint.

    Idempotent: the same event twice, or the same mint under a new signature, creates one token.
    """
    seen_at = seen_at or timezone.now()
    if Token.objects.filter(mint_address=mint).exists():
        return None
    try:
        with transaction.atomic():
            token = Token.objects.create(
                mint_address=mint,
                migration_signature=signature,
                migrated_at=seen_at,
                created_at=seen_at,
            )
    except IntegrityError:
        logger.info("migration of %s already recorded", mint)
        return None
    logger.info("new token %s from migration %s", mint, signature)
    return token


LISTENER_STATE_KEY = "moon:listener:state"
LISTENER_LOCK_KEY = "moon:listener:lock"


def redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5, socket_connect_timeout=5)


def listener_state_save(state: ListenerState) -> None:
    """Publish the listener's state where /health and /system read it."""
    payload = {**dataclasses.asdict(state), "updated_at": time.time(), "pid": os.getpid()}
    redis_client().set(LISTENER_STATE_KEY, json.dumps(payload), ex=86400)


def listener_state() -> dict[str, Any] | None:
    raw = redis_client().get(LISTENER_STATE_KEY)
    return json.loads(raw) if raw else None
