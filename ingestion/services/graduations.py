"""The chain's record of graduations: each one found becomes a token unless moon knows it, and
a ChainMigration row says whether the feed had it first (what coverage counts)."""

import logging
from datetime import UTC, datetime

from django.db import transaction

from ingestion.clients.pump_migrations import Graduation
from ingestion.clients.solana_rpc import SignatureInfo
from ingestion.models import ChainMigration
from moon.lib.counters import counter_add
from moon.lib.queue import QueueUnavailable
from scoring.services.enqueue import tokens_first_refresh_enqueue
from tokens.models import Token
from tokens.services.registration import token_register_migration

logger = logging.getLogger(__name__)

KNOWN_CHUNK = 500


def migration_record(*, graduation: Graduation, block_time: datetime) -> bool:
    """Record a graduation found on chain; True when it was news (its token is registered now,
    with source ``chain``, and its first refresh queued once that commits)."""
    with transaction.atomic():
        token = token_register_migration(
            mint=graduation.mint,
            signature=graduation.signature,
            seen_at=block_time,
            source=Token.Source.CHAIN,
        )
        if token is not None:
            heard_by = ChainMigration.HeardBy.CHAIN
            token_id = token.pk
            transaction.on_commit(lambda: _first_refresh(token_id))
        else:
            existing = Token.objects.filter(mint_address=graduation.mint).first()
            if existing is None:  # a quote token's mint: registration refused it
                return False
            heard_by = ChainMigration.HeardBy(existing.source)
        _, created = ChainMigration.objects.get_or_create(
            signature=graduation.signature,
            mint_address=graduation.mint,
            defaults={"slot": graduation.slot, "block_time": block_time, "heard_by": heard_by},
        )
    if created:
        counter_add("moon_chain_migrations", heard_by=heard_by)
    return token is not None


def known_signatures(signatures: list[str]) -> dict[str, tuple[str, str] | None]:
    """signature -> (mint, source) of the token the feed registered with it, or None when an
    earlier run recorded it already."""
    known: dict[str, tuple[str, str] | None] = {}
    for start in range(0, len(signatures), KNOWN_CHUNK):
        chunk = signatures[start : start + KNOWN_CHUNK]
        tokens = Token.objects.filter(migration_signature__in=chunk)
        for signature, mint, source in tokens.values_list(
            "migration_signature", "mint_address", "source"
        ):
            known[str(signature)] = (mint, source)
        recorded = ChainMigration.objects.filter(signature__in=chunk)
        known.update(dict.fromkeys(recorded.values_list("signature", flat=True)))
    return known


def known_migration_record(entry: SignatureInfo, token: tuple[str, str] | None) -> None:
    """A migration the feed registered: the chain saw it too, which is what coverage counts."""
    if token is None:
        return
    mint, source = token
    assert entry.block_time is not None
    _, created = ChainMigration.objects.get_or_create(
        signature=entry.signature,
        mint_address=mint,
        defaults={
            "slot": entry.slot,
            "block_time": epoch_time(entry.block_time),
            "heard_by": ChainMigration.HeardBy(source),
        },
    )
    if created:
        counter_add("moon_chain_migrations", heard_by=source)


def _first_refresh(token_id: int) -> None:
    try:
        tokens_first_refresh_enqueue(token_ids=[token_id])
    except QueueUnavailable as exc:  # the cold group picks the token up anyway
        logger.warning("first refresh of token %s not queued: %s", token_id, exc)


def epoch_time(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)
