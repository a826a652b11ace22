"""Token launches heard on the feed: stored as they arrive, kept for a week unless they migrate."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import Exists, OuterRef
from django.utils import timezone

from ingestion.clients import pumpportal
from ingestion.models import ChainMigration, Creation
from moon.lib.counters import counter_add
from moon.lib.solana import QUOTE_MINTS
from tokens.models import Token

logger = logging.getLogger(__name__)

RETENTION = timedelta(days=7)
PRUNE_BATCH = 5_000


def creation_store(*, creation: pumpportal.Creation) -> bool:
    """Store a launch; False when it names a quote token or its mint is already stored.

    The feed reports USDC-paired launches under the USDC mint itself: those say nothing about
    any coin and are left out.
    """
    if creation.mint in QUOTE_MINTS:
        return False
    seen = creation.seen_at
    created_at = datetime.fromtimestamp(seen, UTC) if seen is not None else timezone.now()
    _, created = Creation.objects.get_or_create(
        mint_address=creation.mint,
        defaults={
            "signature": creation.signature or "",
            "creator": creation.creator or "",
            "bonding_curve": creation.bonding_curve or "",
            "initial_buy": creation.initial_buy,
            "initial_buy_sol": creation.initial_buy_sol,
            "name": creation.name,
            "symbol": creation.symbol,
            "uri": creation.uri,
            "pool": creation.pool,
            "created_at": created_at,
        },
    )
    if created:
        counter_add("moon_creations_stored")
    return created


@dataclass(frozen=True)
class IntakePruneReport:
    creations: int
    chain_migrations: int


def intake_prune(*, now: datetime | None = None) -> IntakePruneReport:
    """Delete launches older than a week whose token never migrated, and the chain's record of
    migrations older than a week (coverage looks back a day)."""
    cutoff = (now or timezone.now()) - RETENTION
    migrated = Exists(Token.objects.filter(mint_address=OuterRef("mint_address")))
    stale = Creation.objects.filter(created_at__lt=cutoff).exclude(migrated)
    creations = 0
    while ids := list(stale.values_list("pk", flat=True)[:PRUNE_BATCH]):
        # Asked again at delete time: a token that migrated meanwhile keeps its creation.
        deleted, _ = Creation.objects.filter(pk__in=ids).exclude(migrated).delete()
        creations += deleted
        if deleted < len(ids):
            break
    chain, _ = ChainMigration.objects.filter(block_time__lt=cutoff).delete()
    logger.info("pruned %d creations and %d chain migrations before %s", creations, chain, cutoff)
    return IntakePruneReport(creations=creations, chain_migrations=chain)
