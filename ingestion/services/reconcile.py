"""Reconciliation: every migration on chain becomes a token, whether or not the feed said so.

The feed has no sequence numbers: what happens while the listener is disconnected is lost. The
chain keeps it. Every graduation writes to pump.fun's migration account, so a run lists that
account's signatures, newest first, back to the mark the last run left (or a look-back), then
works through them oldest first so that the mark can follow it: failed transactions and those
moon already knows cost no request; each new one is read and, when it is a graduation the feed
missed, its token is registered with source ``chain`` and its first refresh queued.

Nothing seen twice makes two tokens: registration is idempotent per mint (unique constraints
decide between concurrent runs), the chain's record is unique per signature and mint, and the
mark only ever moves forward. A Redis lock keeps a second run from paying for the same
requests; it is not what keeps the data right. RPC failures end the run early with its progress
kept: the next run carries on from the mark.
"""

import dataclasses
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from ingestion.clients.pump_migrations import MIGRATION_ACCOUNT, read_migrations
from ingestion.clients.solana_rpc import SignatureInfo, SolanaRpcClient, SolanaRpcError
from ingestion.models import ReconcileMark
from ingestion.services.graduations import (
    epoch_time,
    known_migration_record,
    known_signatures,
    migration_record,
)
from ingestion.services.solana import solana_rpc_client
from moon.lib.counters import counter_add
from moon.lib.redis import run_alone
from moon.lib.status import StatusReport

logger = logging.getLogger(__name__)

RECONCILE_TASK = "ingestion.reconcile_migrations"
FIRST_RUN_HOURS = 1.0  # without a mark, how far back the first run looks
MAX_LOOKBACK_HOURS = 24.0  # a mark older than this is not followed all the way back
LOCK_KEY = "moon:reconcile:lock"
LOCK_SECONDS = 15 * 60
MARK_EVERY = 50  # signatures between two writes of the mark
PROGRESS_EVERY = 25  # transactions read between two progress lines
# A transaction listed but not found: young ones are not indexed yet (wait for the next run);
# an older one the node will never serve, and waiting for it would hold the mark forever.
NOT_FOUND_GRACE = timedelta(minutes=5)

Progress = Callable[[str], None]


@dataclass
class ReconcileReport(StatusReport):
    """One run. ``result``: ok (reached the chain's head) | partial (stopped early, progress
    kept) | failed (could not list the signatures) | busy (another run holds the lock)."""

    result: str = "ok"
    listed: int = 0
    failed: int = 0
    known: int = 0
    read: int = 0
    noise: int = 0
    unreadable: int = 0
    registered: int = 0
    pending: int = 0
    registered_mints: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stopped: str = ""  # why the run ended before the head, when it did
    error: str = ""  # the RPC failure that ended it, when one did

    def summary(self) -> str:
        return (
            f"{self.result}: {self.listed} signatures listed, {self.failed} failed, "
            f"{self.known} known, {self.read} read ({self.noise} not migrations, "
            f"{self.unreadable} unreadable), {self.registered} missed migrations registered, "
            f"{self.pending} left for the next run, in {self.seconds:.1f}s"
            + (f" ({self.stopped})" if self.stopped else "")
        )


def migrations_reconcile(
    *,
    hours: float | None = None,
    client: SolanaRpcClient | None = None,
    now: datetime | None = None,
    deadline_seconds: float | None = None,
    page_size: int = 1000,
    progress: Progress | None = None,
) -> ReconcileReport:
    """Register every graduation on chain that moon does not know yet.

    Without ``hours`` a run goes back to the last run's mark (at most MAX_LOOKBACK_HOURS, or
    FIRST_RUN_HOURS on the very first run); ``hours`` looks back that far whatever the mark,
    skipping what is known. ``deadline_seconds`` bounds the run; what is left waits for the
    next one.
    """
    started = time.monotonic()
    with run_alone(LOCK_KEY, LOCK_SECONDS, "reconcile") as alone:
        if not alone:
            counter_add("moon_reconcile_runs", result="busy")
            return ReconcileReport(result="busy", stopped="another reconciliation is running")
        run = _Run(
            client or solana_rpc_client(),
            now or timezone.now(),
            started + deadline_seconds if deadline_seconds is not None else None,
            progress or (lambda message: logger.info("reconcile: %s", message)),
        )
        report = run.execute(hours, page_size)
    report.seconds = round(time.monotonic() - started, 3)
    counter_add("moon_reconcile_runs", result=report.result)
    logger.info("reconcile: %s", report.summary())
    return report


class _Run:
    def __init__(
        self, client: SolanaRpcClient, now: datetime, deadline: float | None, say: Progress
    ) -> None:
        self.client = client
        self.now = now
        self.deadline = deadline
        self.say = say
        self.report = ReconcileReport()
        self.mark, _ = ReconcileMark.objects.get_or_create(account=MIGRATION_ACCOUNT)
        self.unsaved = 0

    def execute(self, hours: float | None, page_size: int) -> ReconcileReport:
        until, floor = self._range(hours)
        try:
            entries = self._list(until, floor, page_size)
        except SolanaRpcError as exc:
            return self._failed(f"listing signatures: {exc}")
        since = "the last run's mark" if until else f"{floor:%Y-%m-%d %H:%M:%S} UTC"
        self.say(f"{len(entries)} signatures to reconcile since {since}")
        self._work_through(list(reversed(entries)))
        self._finish()
        return self.report

    def _range(self, hours: float | None) -> tuple[str | None, datetime]:
        if hours is not None:
            return None, self.now - timedelta(hours=hours)
        if self.mark.signature:
            return self.mark.signature, self.now - timedelta(hours=MAX_LOOKBACK_HOURS)
        return None, self.now - timedelta(hours=FIRST_RUN_HOURS)

    def _list(self, until: str | None, floor: datetime, page_size: int) -> list[SignatureInfo]:
        entries: list[SignatureInfo] = []
        cutoff = floor.timestamp()
        for entry in self.client.iter_signatures(
            MIGRATION_ACCOUNT, until=until, page_size=page_size
        ):
            if entry.block_time is not None and entry.block_time < cutoff:
                if until is not None:
                    logger.warning(
                        "reconcile: the mark %s is older than the look-back; migrations before "
                        "%s are not reconciled (run reconcile_migrations --hours N for them)",
                        until,
                        floor,
                    )
                break
            entries.append(entry)
            if len(entries) % page_size == 0:
                self.say(f"listed {len(entries)} signatures so far")
        self.report.listed = len(entries)
        return entries

    def _work_through(self, listed_oldest_first: list[SignatureInfo]) -> None:
        oldest_first = _with_block_times(listed_oldest_first)
        known = known_signatures([entry.signature for entry in oldest_first])
        for index, entry in enumerate(oldest_first):
            if not self._can_go_on(entry, len(oldest_first) - index):
                return
            if entry.failed:
                self.report.failed += 1
            elif entry.signature in known:
                self.report.known += 1
                known_migration_record(entry, known[entry.signature])
            elif not self._read(entry):
                self.report.pending = len(oldest_first) - index
                self.report.result = "partial"
                return
            self._advance(entry)

    def _can_go_on(self, entry: SignatureInfo, left: int) -> bool:
        """The newest entries may have no block time yet: they wait for the next run."""
        if entry.block_time is None:
            self.report.pending = left
            self.report.stopped = "the newest signatures have no block time yet"
            return False
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.report.pending = left
            self.report.result = "partial"
            self.report.stopped = "the run's time was up"
            return False
        return True

    def _read(self, entry: SignatureInfo) -> bool:
        """Read one transaction and register what it graduated; False to stop the run here."""
        try:
            tx = self.client.get_transaction(entry.signature)
        except SolanaRpcError as exc:
            if exc.retryable:
                self.report.error = f"reading {entry.signature}: {exc}"
                self.report.stopped = self.report.error
                return False
            logger.warning("reconcile: skipped unreadable %s: %s", entry.signature, exc)
            self.report.unreadable += 1
            return True
        if tx is None:
            assert entry.block_time is not None
            if self.now - epoch_time(entry.block_time) < NOT_FOUND_GRACE:
                self.report.stopped = f"{entry.signature} is not served yet"
                return False
            logger.warning("reconcile: skipped %s, which the node does not serve", entry.signature)
            self.report.unreadable += 1
            return True
        self.report.read += 1
        reading = read_migrations(tx)
        if not reading.migrations:
            self.report.noise += 1
        for graduation in reading.migrations:
            block_time = epoch_time(graduation.block_time or entry.block_time or 0)
            if migration_record(graduation=graduation, block_time=block_time):
                self.report.registered += 1
                self.report.registered_mints.append(graduation.mint)
        if self.report.read % PROGRESS_EVERY == 0:
            self.say(
                f"read {self.report.read} transactions, "
                f"{self.report.registered} missed migrations registered"
            )
        return True

    def _advance(self, entry: SignatureInfo) -> None:
        self.mark.signature, self.mark.slot = entry.signature, entry.slot
        self.mark.block_time = epoch_time(entry.block_time) if entry.block_time else None
        self.unsaved += 1
        if self.unsaved >= MARK_EVERY:
            self._save_mark()

    def _save_mark(self) -> None:
        """Forward only: a slower concurrent run never moves the mark back."""
        if self.unsaved:
            ReconcileMark.objects.filter(pk=self.mark.pk).filter(
                Q(slot__isnull=True) | Q(slot__lte=self.mark.slot)
            ).update(
                signature=self.mark.signature, slot=self.mark.slot, block_time=self.mark.block_time
            )
        self.unsaved = 0

    def _finish(self) -> None:
        """Save the mark and how far the chain is checked: up to this run's start when it
        reached the head (only a tail of seconds-old entries without a block time may wait),
        else up to the last entry it worked through. Like the mark, that never goes back."""
        self._save_mark()
        checked = self.now if self.report.result == "ok" else self.mark.block_time
        rows = ReconcileMark.objects.filter(pk=self.mark.pk)
        if checked is not None:
            rows.filter(Q(checked_until__isnull=True) | Q(checked_until__lt=checked)).update(
                checked_until=checked
            )
        rows.update(last_run_at=self.now, last_error=self.report.error)

    def _failed(self, error: str) -> ReconcileReport:
        logger.warning("reconcile: %s", error)
        self.report.result, self.report.error = "failed", error
        ReconcileMark.objects.filter(pk=self.mark.pk).update(last_run_at=self.now, last_error=error)
        return self.report


def _with_block_times(oldest_first: list[SignatureInfo]) -> list[SignatureInfo]:
    """A node writes block times asynchronously, so an entry may list none. One older than an
    entry that has a time borrows that time (slots are 0.4 s apart; a graduation's own block
    time still comes from its transaction); the newest ones, with nothing newer to borrow
    from, keep None and wait for the next run."""
    newer: int | None = None
    filled: list[SignatureInfo] = []
    for entry in reversed(oldest_first):
        if entry.block_time is None and newer is not None:
            entry = dataclasses.replace(entry, block_time=newer)
        newer = entry.block_time if entry.block_time is not None else newer
        filled.append(entry)
    return filled[::-1]
