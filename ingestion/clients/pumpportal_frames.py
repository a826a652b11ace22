"""PumpPortal frames: every text the data WebSocket sends, classified without ever raising.

Migrations carry exactly a signature, a mint and a pool; creations carry the launch (creator,
first buy, bonding curve, name, symbol, metadata URI), bounded and checked here so that what a
launcher typed reaches moon's tables only in a shape they can hold.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .solana_address import is_valid_address, is_valid_signature


@dataclass(frozen=True)
class Migration:
    """A graduation as the feed reports it; ``seen_at`` (epoch seconds) is set by the listener
    when the frame arrives."""

    signature: str
    mint: str
    pool: str | None
    seen_at: float | None = None


# Bounds on what a creation frame may carry into moon's tables: a token's name, symbol and
# metadata URI are chosen by whoever launched it.
NAME_MAX = 200
SYMBOL_MAX = 64
URI_MAX = 500
POOL_MAX = 16
# Whole tokens: the bonding curve starts with 1,073,000,000 virtual tokens, so no first buy can
# take more; the SOL side is bounded by the SOL supply.
INITIAL_BUY_MAX = Decimal(1_073_000_000)
SOL_AMOUNT_MAX = Decimal(600_000_000)
_DROPPED = frozenset({"Cc", "Cs"})


@dataclass(frozen=True)
class Creation:
    """A token launch as the feed reports it. Only the mint is required: every other field is
    None (or empty) when the frame leaves it out or sends something unusable.

    ``creator`` is the frame's ``traderPublicKey``; ``initial_buy`` the creator's first buy in
    whole tokens and ``initial_buy_sol`` the SOL it cost; ``seen_at`` (epoch seconds) is set by
    the listener when the frame arrives, since the frame carries no time of its own.
    """

    mint: str
    signature: str | None = None
    creator: str | None = None
    bonding_curve: str | None = None
    initial_buy: Decimal | None = None
    initial_buy_sol: Decimal | None = None
    name: str = ""
    symbol: str = ""
    uri: str = ""
    pool: str = ""
    seen_at: float | None = None


@dataclass(frozen=True)
class Ack:
    message: str


@dataclass(frozen=True)
class FeedError:
    """``{"errors": "..."}``: PumpPortal refusing something we asked (a subscription, a key)."""

    message: str


@dataclass(frozen=True)
class Ignored:
    reason: str


@dataclass(frozen=True)
class Garbage:
    reason: str


Frame = Migration | Creation | Ack | FeedError | Ignored | Garbage


def _clip(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_frame(text: str | bytes) -> Frame:
    """Classify one WebSocket frame; never raises."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            return Garbage("frame is not UTF-8")
    try:
        # Decimals keep a creation's amounts exactly as sent (27534883.660147 stays that).
        payload = json.loads(text, parse_float=Decimal)
    except RecursionError:
        return Garbage("frame nests too deeply to be read")
    except ValueError:
        return Garbage(f"frame is not JSON: {_clip(text)}")
    if not isinstance(payload, dict):
        return Garbage(f"frame is not a JSON object: {_clip(payload)}")
    if "txType" not in payload:
        if "errors" in payload:
            errors = payload["errors"]
            return FeedError(errors[:300] if isinstance(errors, str) else _clip(errors, 300))
        message = payload.get("message")
        if isinstance(message, str):
            return Ack(message)
        return Ignored(f"object without txType, keys {sorted(payload)}")
    return _parse_event(payload)


def _parse_event(payload: dict[str, Any]) -> Frame:
    tx_type = payload["txType"]
    if not isinstance(tx_type, str):
        return Garbage(f"txType is not a string: {_clip(tx_type)}")
    if tx_type not in ("migrate", "create"):
        return Ignored(f"txType {tx_type!r}")
    mint = payload.get("mint")
    if not is_valid_address(mint):
        return Garbage(f"{tx_type} frame with an invalid mint: {_clip(mint)}")
    if tx_type == "create":
        return _creation(mint, payload)
    signature = payload.get("signature")
    if not isinstance(signature, str) or not signature:
        return Garbage(f"migrate frame without a string signature: {_clip(signature)}")
    pool = payload.get("pool")
    return Migration(signature=signature, mint=mint, pool=pool if isinstance(pool, str) else None)


def _creation(mint: str, payload: dict[str, Any]) -> Creation:
    signature = payload.get("signature")
    creator = payload.get("traderPublicKey")
    curve = payload.get("bondingCurveKey")
    uri = _text(payload.get("uri"))
    return Creation(
        mint=mint,
        signature=signature if is_valid_signature(signature) else None,
        creator=creator if is_valid_address(creator) else None,
        bonding_curve=curve if is_valid_address(curve) else None,
        initial_buy=_amount(payload.get("initialBuy"), INITIAL_BUY_MAX, places=6),
        initial_buy_sol=_amount(payload.get("solAmount"), SOL_AMOUNT_MAX, places=9),
        name=_text(payload.get("name"))[:NAME_MAX],
        symbol=_text(payload.get("symbol"))[:SYMBOL_MAX],
        # A cut URI points nowhere: one that is too long is dropped, not shortened.
        uri=uri if len(uri) <= URI_MAX else "",
        pool=_text(payload.get("pool"))[:POOL_MAX],
    )


def _text(value: object) -> str:
    """A one-line string that any database stores: control characters (NUL among them, which
    PostgreSQL refuses) and lone surrogates (not UTF-8) go, surrounding blanks too; anything
    but a string is empty."""
    if not isinstance(value, str):
        return ""
    return "".join(char for char in value if unicodedata.category(char) not in _DROPPED).strip()


def _amount(value: object, ceiling: Decimal, *, places: int) -> Decimal | None:
    """A finite amount in [0, ceiling], rounded to the token's ``places``; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        return None
    try:
        amount = Decimal(value).quantize(Decimal(1).scaleb(-places))
    except InvalidOperation:  # NaN, infinities, or too many digits to quantize
        return None
    return amount if 0 <= amount <= ceiling else None
