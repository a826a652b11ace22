"""New tokens: a migration heard on the feed (or found on chain) becomes a monitoring token."""

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from moon.lib.events import publish
from moon.lib.solana import QUOTE_MINTS
from tokens.models import Token
from tokens.services.events import migration_event

logger = logging.getLogger(__name__)


def token_register_migration(
    *,
    mint: str,
    signature: str,
    seen_at: datetime | None = None,
    source: Token.Source = Token.Source.FEED,
) -> Token | None:
    """Create the monitoring token of a migration; None when moon already knows the mint.

    Idempotent: the same event twice, or the same mint under a new signature, creates one token.
    A quote token's mint (WSOL, USDC, USD1) is refused: the feed has been seen to report
    creations under the USDC mint, and no such token ever graduates.

    ``source`` says who told moon: the feed (``seen_at`` is when it was heard, now by default)
    or the chain afterwards (``seen_at`` is the block time). A token found on chain is created
    now, whatever its block time: its monitoring period starts when moon starts to watch it.
    """
    if mint in QUOTE_MINTS:
        logger.warning(
            "migration %s names the quote token %s as its mint: ignored", signature, mint
        )
        return None
    now = timezone.now()
    seen_at = seen_at or now
    if Token.objects.filter(mint_address=mint).exists():
        return None
    try:
        with transaction.atomic():
            token = Token.objects.create(
                mint_address=mint,
                migration_signature=signature,
                migrated_at=seen_at,
                created_at=now if source == Token.Source.CHAIN else seen_at,
                source=source,
            )
            publish([migration_event(token)])
    except IntegrityError:
        logger.info("migration of %s already recorded", mint)
        return None
    logger.info("new token %s from migration %s (%s)", mint, signature, source)
    return token
