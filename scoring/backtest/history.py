"""Reading stored snapshots for a backtest: streamed, never all in memory.

One query over token_scores ordered by (token, created_at), read through a server-side cursor
in chunks. Only what a replay needs leaves PostgreSQL: token_id, created_at, and the metrics
JSON fields that rebuild ``Metrics`` (extracted and cast by the database, so Python parses no
JSON document).
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import BigIntegerField, Expression, FloatField, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from scoring.engine import Metrics
from scoring.models import TokenScore

from .replay import SnapshotRow

CHUNK_SIZE = 10_000
FLOATS = (
    "L_tot",
    "vol_5m",
    "vol_1h",
    "price_usd",
    "dp5",
    "dp15",
    "hours_since_migration",
    # Scoring spec v2's windows and rug inputs; older snapshots have none (Metrics defaults).
    "history_minutes",
    "tx_pace_5m",
    "tx_pace_rest",
    "vol_pace_5m",
    "vol_pace_rest",
    "window_5m_minutes",
    "window_1h_minutes",
    "dp60",
    "peak_liquidity_usd",
)
COUNTS = ("tx_5m", "tx_1h", "buys_5m", "sells_5m", "pool_count", "implausible_pools")
UNREAD = ("primary_pair_address", "primary_dex_id")  # no score reads them


ALL_TOKENS, UNFLAGGED = "all", "unflagged"
TOKEN_SETS = {
    ALL_TOKENS: "all tokens",
    UNFLAGGED: "tokens without risk flags (risk check complete)",
}


@dataclass(frozen=True)
class Window:
    """Which snapshots: created_at in [since, until); None leaves a side open. ``tokens``:
    "all", or "unflagged": only tokens whose risk check is complete and raised no flag."""

    since: datetime | None = None
    until: datetime | None = None
    tokens: str = "all"

    def to_json(self) -> dict[str, str | None]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "tokens": self.tokens,
        }


def recent_window(
    *, hours: float, max_snapshots: int, now: datetime, tokens: str = "all"
) -> tuple[Window, bool]:
    """The last ``hours`` before ``now``, shortened to the newest ``max_snapshots`` snapshots
    when it holds more; True when it was shortened. Bounds what a page request replays."""
    window = Window(since=now - timedelta(hours=hours), until=now, tokens=tokens)
    newest = window_snapshots(window).order_by("-created_at").values_list("created_at", flat=True)
    cutoff = newest[max_snapshots : max_snapshots + 1].first()
    if cutoff is None:
        return window, False
    # Everything strictly after the (max_snapshots + 1)-th newest: at most max_snapshots rows.
    return Window(since=cutoff + timedelta(microseconds=1), until=now, tokens=tokens), True


def window_snapshots(window: Window) -> QuerySet[TokenScore]:
    """The snapshots of ``window`` (unordered)."""
    rows = TokenScore.objects.all()
    if window.since is not None:
        rows = rows.filter(created_at__gte=window.since)
    if window.until is not None:
        rows = rows.filter(created_at__lt=window.until)
    if window.tokens == UNFLAGGED:
        rows = rows.filter(token__risk_complete=True, token__risk_flags=[])
    elif window.tokens != ALL_TOKENS:
        raise ValueError(f"tokens is {ALL_TOKENS} or {UNFLAGGED}, not {window.tokens!r}")
    return rows


def snapshot_count(window: Window) -> int:
    """How many snapshots a backtest of ``window`` replays (for a progress bar)."""
    return window_snapshots(window).count()


def snapshot_stream(
    window: Window,
    *,
    chunk_size: int = CHUNK_SIZE,
    progress: Callable[[int], None] | None = None,
) -> Iterator[SnapshotRow]:
    """The snapshots of ``window`` as SnapshotRows, grouped by token, in time order.

    Runs in a transaction so the server-side cursor streams (outside one, Django declares it
    WITH HOLD and PostgreSQL materializes the whole result first). ``progress(done)`` is
    called after every chunk, and after the last one when it is partial (or there is none).
    """
    fields: dict[str, Expression] = {
        "m_fallback": KT("metrics__fallback"),
        **{f"m_{name}": Cast(KT(f"metrics__{name}"), FloatField()) for name in FLOATS},
        **{f"m_{name}": _count(name) for name in COUNTS},
    }
    rows = (
        window_snapshots(window)
        .order_by("token_id", "created_at", "id")
        .annotate(**fields)
        .values_list("token_id", "created_at", *fields)
    )
    done = 0
    with transaction.atomic():
        for values in rows.iterator(chunk_size=chunk_size):
            yield _row(*values)
            done += 1
            if progress is not None and done % chunk_size == 0:
                progress(done)
    if progress is not None and (done == 0 or done % chunk_size):
        progress(done)  # the last, partial chunk


def _count(name: str) -> Expression:
    # Counts are JSON integers; through double precision a stray 12.0 still reads.
    return Cast(Cast(KT(f"metrics__{name}"), FloatField()), BigIntegerField())


def _row(
    token_id: int,
    created_at: datetime,
    fallback: str | None,
    l_tot: float | None,
    vol_5m: float | None,
    vol_1h: float | None,
    price_usd: float | None,
    dp5: float | None,
    dp15: float | None,
    hours: float | None,
    history_minutes: float | None,
    tx_pace_5m: float | None,
    tx_pace_rest: float | None,
    vol_pace_5m: float | None,
    vol_pace_rest: float | None,
    window_5m_minutes: float | None,
    window_1h_minutes: float | None,
    dp60: float | None,
    peak_liquidity_usd: float | None,
    tx_5m: int | None,
    tx_1h: int | None,
    buys_5m: int | None,
    sells_5m: int | None,
    pool_count: int | None,
    implausible_pools: int | None,
) -> SnapshotRow:
    at = created_at.timestamp()
    if tx_5m is None or tx_1h is None or buys_5m is None or sells_5m is None:
        return SnapshotRow(token_id, at, fallback, None)  # a held row: no inputs stored
    metrics = Metrics(
        L_tot=l_tot or 0.0,
        tx_5m=tx_5m,
        tx_1h=tx_1h,
        vol_5m=vol_5m or 0.0,
        vol_1h=vol_1h or 0.0,
        buys_5m=buys_5m,
        sells_5m=sells_5m,
        pool_count=pool_count or 0,
        primary_pair_address=None,
        primary_dex_id=None,
        price_usd=price_usd,
        dp5=dp5,
        dp15=dp15,
        hours_since_migration=hours,
        history_minutes=history_minutes,
        tx_pace_5m=tx_pace_5m or 0.0,
        tx_pace_rest=tx_pace_rest or 0.0,
        vol_pace_5m=vol_pace_5m or 0.0,
        vol_pace_rest=vol_pace_rest or 0.0,
        window_5m_minutes=window_5m_minutes,
        window_1h_minutes=window_1h_minutes,
        dp60=dp60,
        implausible_pools=implausible_pools or 0,
        peak_liquidity_usd=peak_liquidity_usd,
    )
    return SnapshotRow(token_id, at, fallback, metrics)
