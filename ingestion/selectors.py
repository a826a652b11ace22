"""Reads of what intake stored, for the pages and the API."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ingestion.models import Creation, RiskCheck
from tokens.models import Token


@dataclass(frozen=True)
class TokenOrigin:
    """How a token started, as the feed heard its launch.

    ``creator`` is the launching wallet (None when the frame did not name a valid one);
    ``initial_buy`` the creator's first buy in whole tokens and ``initial_buy_sol`` what it
    cost; ``time_to_graduate`` runs from the launch to the migration (None before it, or when
    the clocks disagree and the migration seems to come first).
    """

    creator: str | None
    initial_buy: Decimal | None
    initial_buy_sol: Decimal | None
    created_at: datetime
    time_to_graduate: timedelta | None
    name: str = ""
    symbol: str = ""
    uri: str = ""


def token_origin(token: Token) -> TokenOrigin | None:
    """The launch of ``token``; None when moon did not hear it (before it listened, or while
    the listener was away: the feed keeps no history)."""
    creation = Creation.objects.filter(mint_address=token.mint_address).first()
    if creation is None:
        return None
    graduated = token.migrated_at - creation.created_at if token.migrated_at else None
    return TokenOrigin(
        creator=creation.creator or None,
        initial_buy=creation.initial_buy,
        initial_buy_sol=creation.initial_buy_sol,
        created_at=creation.created_at,
        time_to_graduate=graduated if graduated is not None and graduated >= timedelta(0) else None,
        name=creation.name,
        symbol=creation.symbol,
        uri=creation.uri,
    )


def risk_check_of(token: Token) -> RiskCheck | None:
    """The token's latest risk check (facts and all), or None before its first."""
    return RiskCheck.objects.filter(token=token).first()
