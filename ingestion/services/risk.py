"""The risk panel: what the chain says about a token's safety, read in batches (docs/risk.md).

A batch of tokens costs, whatever its size up to 100 (a check is at most 6 calls a token):
1. getMultipleAccounts: each mint (program, authorities, extensions, supply) and each coin's
   derived PumpSwap pool (its coin creator);
2. getTokenLargestAccounts, one per mint (often refused in the real world: the panel goes on
   without it, its concentration unknown);
3. getMultipleAccounts: those largest token accounts (their owners) and each creator's
   associated token account (the creator's holding);
4. getMultipleAccounts: the owners themselves, to tell wallets from pools, curves, vaults and
   the burn address by who owns them.
The creator's other launches in the last 7 days come from the launches the feed reported
(ingestion.Creation), no call at all. A fact that could not be read is stored with its error
and raises no flag: the panel says "unknown", and the token's check is not complete.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Case, F, IntegerField, Min, Q, QuerySet, Value, When
from django.utils import timezone

from ingestion.clients.pump_accounts import (
    Holder,
    associated_account,
    classify_owner,
    pool_coin_creator,
    pump_pool_of,
)
from ingestion.clients.solana_rpc import (
    AccountInfo,
    MintAccount,
    SolanaRpcClient,
    SolanaRpcError,
    TokenAccountBalance,
    parse_mint,
    parse_token_account,
)
from ingestion.models import Creation, RiskCheck
from ingestion.services.solana import solana_rpc_client
from moon.lib.bulk import bulk_update, bulk_upsert
from moon.lib.events import Event, publish
from moon.lib.redis import run_alone
from moon.lib.status import StatusReport
from scoring.engine.params import ScoringParams
from scoring.engine.risk import RiskFacts, dangerous, risk_flags
from scoring.models import ScoringSettings
from tokens.models import Token
from tokens.services.events import TokenState, token_changes

logger = logging.getLogger(__name__)

RISK_TASK = "ingestion.check_risk"
BATCH = 10  # tokens per batch: the first of a burst are done while the rest wait their turn
LOCK_KEY = "moon:risk:lock"
LOCK_SECONDS = 120
LAUNCH_WINDOW = timedelta(days=7)
TOP = 10
# The batch's getTokenLargestAccounts calls stop after this long, so a node that times out
# costs one batch a bounded wait and the facts already read are still stored.
LARGEST_SECONDS = 20
PROGRAMS = {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA": "spl-token",
    "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb": "spl-token-2022",
}


@dataclass
class RiskReport(StatusReport):
    """One run: tokens checked, how many completely, the RPC calls it cost."""

    result: str = "ok"  # ok | busy (another run holds the lock)
    checked: int = 0
    complete: int = 0
    calls: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> str:
        flags = ", ".join(f"{name} {n}" for name, n in sorted(self.flagged.items())) or "none"
        return (
            f"{self.result}: {self.checked} tokens checked ({self.complete} complete), "
            f"{self.calls} RPC calls, flags: {flags}, in {self.seconds:.1f}s"
        )


def tokens_due_for_risk(
    *, now: datetime, recheck_minutes: int, min_score: float
) -> QuerySet[Token]:
    """Tokens not archived whose risk was never read, newest migration first; then those whose
    last check is older than ``recheck_minutes``, hot ones first, the longest waiting first."""
    due = Q(risk_checked_at__isnull=True) | Q(
        risk_checked_at__lt=now - timedelta(minutes=recheck_minutes)
    )
    rank = Case(
        When(risk_checked_at__isnull=True, then=Value(0)),
        When(smoothed_score__gte=min_score, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Token.objects.refreshable()
        .filter(due)
        .annotate(risk_rank=rank)
        # Never checked: all NULL, so newest migration first; the rest: the longest waiting.
        .order_by("risk_rank", "risk_checked_at", F("migrated_at").desc(nulls_last=True), "id")
    )


def risk_check_due(
    *,
    client: SolanaRpcClient | None = None,
    deadline_seconds: float = 50.0,
    limit: int | None = None,
) -> RiskReport:
    """Check due tokens in batches of BATCH until none is due, ``limit`` are done or the
    deadline passes. One run at a time (a Redis lock); a second answers busy."""
    started = time.monotonic()
    with run_alone(LOCK_KEY, LOCK_SECONDS, "risk") as alone:
        if not alone:
            return RiskReport(result="busy")
        report = RiskReport()
        rpc = client or solana_rpc_client()
        while time.monotonic() - started < deadline_seconds:
            settings = ScoringSettings.objects.active()
            size = BATCH if limit is None else min(BATCH, limit - report.checked)
            if size <= 0:
                break
            batch = list(
                tokens_due_for_risk(
                    now=timezone.now(),
                    recheck_minutes=settings.risk_recheck_minutes,
                    min_score=settings.min_score,
                )[:size]
            )
            if not batch:
                break
            report_merge(report, risk_check(batch, client=rpc, params=settings.to_params()))
    report.seconds = round(time.monotonic() - started, 3)
    if report.checked:
        logger.info("risk: %s", report.summary())
    return report


def risk_check(
    tokens: Sequence[Token],
    *,
    client: SolanaRpcClient | None = None,
    params: ScoringParams | None = None,
    now: datetime | None = None,
) -> RiskReport:
    """Read and store the risk of ``tokens`` (at most 100) now."""
    params = params or ScoringSettings.objects.active().to_params()
    batch = _Batch(client or solana_rpc_client(), list(tokens))
    readings = batch.read()
    now = now or timezone.now()
    report = RiskReport(checked=len(readings), calls=batch.calls)
    checks, rows = [], []
    events: list[Event] = []
    for reading in readings:
        facts = reading.risk_facts()
        flags, complete = risk_flags(facts, params), facts.complete
        report.complete += complete
        for flag in flags:
            report.flagged[flag] = report.flagged.get(flag, 0) + 1
        checks.append(
            RiskCheck(
                token=reading.token,
                checked_at=now,
                complete=complete,
                flags=list(flags),
                facts=reading.facts,
                creator=reading.creator or "",
                calls=round(batch.calls / len(readings), 2),
            )
        )
        token = reading.token
        before = TokenState.of(token)
        token.risk_flags, token.risk_complete, token.risk_checked_at = list(flags), complete, now
        rows.append(token)
        events += token_changes(before, token, min_score=params.min_score)
    checks.sort(key=lambda check: check.token.pk)
    rows.sort(key=lambda token: token.pk)
    with transaction.atomic():
        # Token rows locked in id order, as every writer of them locks: no deadlock with a
        # refresh writing the same tokens.
        list(
            Token.objects.filter(pk__in=[t.pk for t in rows])
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        bulk_upsert(
            RiskCheck,
            checks,
            unique_fields=["token"],
            update_fields=["checked_at", "complete", "flags", "facts", "creator", "calls"],
        )
        bulk_update(Token, rows, ["risk_flags", "risk_complete", "risk_checked_at"])
        publish(events)
    return report


def report_merge(into: RiskReport, part: RiskReport) -> None:
    into.checked += part.checked
    into.complete += part.complete
    into.calls += part.calls
    for flag, count in part.flagged.items():
        into.flagged[flag] = into.flagged.get(flag, 0) + count


def _now() -> str:
    return timezone.now().isoformat().replace("+00:00", "Z")


def _fact(value: Any, source: str, **more: Any) -> dict[str, Any]:
    return {"value": value, "source": source, "at": _now(), **more}


def _unknown(source: str, error: str | SolanaRpcError) -> dict[str, Any]:
    """A fact that could not be read, and why (with the node's error code when it sent one)."""
    why = str(error)
    if isinstance(error, SolanaRpcError):
        why = error.message + (f" (error {error.code})" if error.code is not None else "")
        why = f"{error.kind}: {why}"
    return {"value": None, "source": source, "at": _now(), "error": why}


@dataclass
class _Reading:
    """What the batch learnt of one token."""

    token: Token
    facts: dict[str, dict[str, Any]] = field(default_factory=dict)
    mint: MintAccount | None = None
    creator: str | None = None
    largest: list[TokenAccountBalance] | None = None

    @property
    def program(self) -> str | None:
        return self.mint.program_id if self.mint else None

    def known(self, name: str) -> Any:
        fact = self.facts.get(name)
        return None if fact is None or "error" in fact else fact["value"]

    def risk_facts(self) -> RiskFacts:
        def authority(name: str) -> str | None:
            fact = self.facts.get(name)
            if fact is None or "error" in fact:
                return None
            return fact["value"] or ""

        extensions = self.known("dangerous_extensions")
        return RiskFacts(
            mint_authority=authority("mint_authority"),
            freeze_authority=authority("freeze_authority"),
            dangerous_extensions=None if extensions is None else tuple(extensions),
            top10_share=self.known("top10_share"),
            creator_share=self.known("creator_share"),
            creator_launches_7d=self.known("creator_launches_7d"),
        )


class _Batch:
    def __init__(self, client: SolanaRpcClient, tokens: list[Token]) -> None:
        self.client = client
        self.readings = [_Reading(token) for token in tokens]
        self.calls = 0

    def read(self) -> list[_Reading]:
        self._mints_and_pools()
        self._largest()
        holdings = self._token_accounts()
        self._holders(holdings)
        self._launches()
        return self.readings

    def _accounts(self, addresses: list[str]) -> list[AccountInfo | None]:
        self.calls += (len(addresses) + 99) // 100
        return self.client.get_multiple_accounts(addresses)

    # 1. mints and pools
    def _mints_and_pools(self) -> None:
        mints = [r.token.mint_address for r in self.readings]
        feed = dict(
            Creation.objects.filter(mint_address__in=mints)
            .exclude(creator="")
            .values_list("mint_address", "creator")
        )
        names = ("token_program", "mint_authority", "freeze_authority", "dangerous_extensions")
        try:
            found = self._accounts([*mints, *(pump_pool_of(m) for m in mints)])
        except SolanaRpcError as error:
            for reading in self.readings:
                for name in names:
                    reading.facts[name] = _unknown("getMultipleAccounts", error)
                self._creator(reading, None, feed.get(reading.token.mint_address))
            return
        for reading, account, pool in zip(
            self.readings, found[: len(mints)], found[len(mints) :], strict=True
        ):
            self._mint(reading, account)
            mint = reading.token.mint_address
            chain = pool_coin_creator(pool, mint) if pool is not None else None
            self._creator(reading, chain, feed.get(mint))

    def _mint(self, reading: _Reading, account: AccountInfo | None) -> None:
        source = "getMultipleAccounts (mint)"
        names = ("token_program", "mint_authority", "freeze_authority", "dangerous_extensions")
        try:
            if account is None:
                raise SolanaRpcError("invalid", "the mint account does not exist")
            mint = parse_mint(account)
        except SolanaRpcError as error:
            for name in names:
                reading.facts[name] = _unknown(source, error)
            return
        reading.mint = mint
        state = mint.extension_states.get("defaultAccountState", {}).get("accountState")
        reading.facts.update(
            token_program=_fact(PROGRAMS.get(mint.program_id, mint.program_id), source),
            mint_authority=_fact(mint.mint_authority, source),
            freeze_authority=_fact(mint.freeze_authority, source),
            extensions=_fact(list(mint.extensions), source),
            dangerous_extensions=_fact(list(dangerous(mint.extensions, state)), source),
            supply=_fact(str(mint.supply), source, decimals=mint.decimals),
        )

    def _creator(self, reading: _Reading, chain: str | None, feed: str | None) -> None:
        if chain:
            reading.creator = chain
            reading.facts["creator"] = _fact(chain, "PumpSwap pool (coin creator)")
        elif feed:
            reading.creator = feed
            reading.facts["creator"] = _fact(feed, "PumpPortal launch (traderPublicKey)")
        else:
            reading.facts["creator"] = _unknown(
                "PumpSwap pool, PumpPortal launch", "neither the pool nor the feed names it"
            )

    # 2. the largest token accounts
    def _largest(self) -> None:
        started = time.monotonic()
        for reading in self.readings:
            if reading.mint is None:
                continue
            if time.monotonic() - started > LARGEST_SECONDS:  # a slow node: store what is read
                reading.facts["top10_share"] = _unknown(
                    "getTokenLargestAccounts", f"skipped: the node took over {LARGEST_SECONDS}s"
                )
                continue
            self.calls += 1
            try:
                reading.largest = self.client.get_token_largest_accounts(reading.token.mint_address)
            except SolanaRpcError as error:
                reading.facts["top10_share"] = _unknown("getTokenLargestAccounts", error)

    # 3. those accounts' owners, and the creators' own accounts
    def _token_accounts(self) -> dict[str, TokenAccountBalance | None]:
        wanted: list[str] = []
        for reading in self.readings:
            wanted += [account.address for account in reading.largest or ()]
            if reading.creator and reading.program:
                mint = reading.token.mint_address
                wanted.append(associated_account(reading.creator, mint, reading.program))
        wanted = list(dict.fromkeys(wanted))
        if not wanted:
            return {}
        try:
            accounts = self._accounts(wanted)
        except SolanaRpcError as error:
            for reading in self.readings:
                if reading.largest is not None:
                    reading.facts["top10_share"] = _unknown("getMultipleAccounts", error)
                    reading.largest = None
                if reading.creator and reading.program:
                    reading.facts["creator_share"] = _unknown("getMultipleAccounts", error)
            return {}
        balances: dict[str, TokenAccountBalance | None] = {}
        for address, account in zip(wanted, accounts, strict=True):
            try:
                balances[address] = None if account is None else parse_token_account(account)
            except SolanaRpcError:
                balances[address] = None
        return balances

    # 4. who the owners are; then the shares
    def _holders(self, balances: dict[str, TokenAccountBalance | None]) -> None:
        owners = sorted(
            {
                balance.owner
                for reading in self.readings
                for account in reading.largest or ()
                if (balance := balances.get(account.address)) is not None and balance.owner
            }
        )
        kinds: dict[str, Holder] = {}
        if owners:
            try:
                kinds = dict(
                    zip(owners, map(classify_owner, owners, self._accounts(owners)), strict=True)
                )
            except SolanaRpcError as error:
                for reading in self.readings:
                    if reading.largest is not None:
                        reading.facts["top10_share"] = _unknown("getMultipleAccounts", error)
                        reading.largest = None
        for reading in self.readings:
            if reading.mint is None:
                reading.facts.setdefault(
                    "top10_share", _unknown("getMultipleAccounts (mint)", "no supply to share")
                )
                reading.facts.setdefault(
                    "creator_share", _unknown("getMultipleAccounts (mint)", "no supply to share")
                )
                continue
            self._shares(reading, balances, kinds)

    def _shares(
        self,
        reading: _Reading,
        balances: dict[str, TokenAccountBalance | None],
        kinds: dict[str, Holder],
    ) -> None:
        assert reading.mint is not None
        supply = reading.mint.supply
        mint = reading.token.mint_address
        source = "getTokenLargestAccounts, getMultipleAccounts"
        held: dict[str, int] = defaultdict(int)
        creator_accounts: dict[str, int] = {}
        if reading.largest is not None:
            rows = []
            for account in reading.largest:
                balance = balances.get(account.address)
                owner = balance.owner if balance is not None else None
                holder = kinds.get(owner) if owner else None
                rows.append(
                    {
                        "account": account.address,
                        "owner": owner,
                        "amount": str(account.amount),
                        "share": _share(account.amount, supply),
                        "kind": holder.kind if holder else "unknown",
                        "label": holder.label if holder else "owner unknown",
                    }
                )
                # An owner that could not be told counts as a holder: unknown is not safe.
                if holder is None or holder.counts:
                    held[owner or account.address] += account.amount
                if owner and owner == reading.creator:
                    creator_accounts[account.address] = account.amount
            top = sorted(held.values(), reverse=True)[:TOP]
            reading.facts["top_holders"] = _fact(rows, source)
            if "top10_share" not in reading.facts:
                reading.facts["top10_share"] = _fact(_share(sum(top), supply), source)
        if reading.creator and "creator_share" not in reading.facts:
            own = associated_account(reading.creator, mint, reading.mint.program_id)
            balance = balances.get(own)
            creator_accounts[own] = balance.amount if balance is not None else 0
            reading.facts["creator_share"] = _fact(
                _share(sum(creator_accounts.values()), supply),
                "getMultipleAccounts (creator's token account)",
            )
        elif not reading.creator:
            reading.facts["creator_share"] = _unknown("creator", "the creator is unknown")

    # the creator's other launches, as the feed heard them
    def _launches(self) -> None:
        creators = {r.creator for r in self.readings if r.creator}
        since = timezone.now() - LAUNCH_WINDOW
        counts: dict[str, set[str]] = defaultdict(set)
        for creator, mint in Creation.objects.filter(
            creator__in=creators, created_at__gte=since
        ).values_list("creator", "mint_address"):
            counts[creator].add(mint)
        heard_from = Creation.objects.aggregate(first=Min("created_at"))["first"]
        for reading in self.readings:
            if not reading.creator:
                reading.facts["creator_launches_7d"] = _unknown(
                    "PumpPortal launches", "the creator is unknown"
                )
                continue
            others = counts[reading.creator] - {reading.token.mint_address}
            reading.facts["creator_launches_7d"] = _fact(
                len(others),
                "PumpPortal launches",
                heard_since=heard_from.isoformat().replace("+00:00", "Z") if heard_from else None,
            )


def _share(amount: int, supply: int) -> float:
    return round(amount / supply, 6) if supply > 0 else 0.0
