"""Raw DexScreener pair dicts of one token -> typed pools, metrics and quality issues."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .issues import QualityIssue, critical, has_critical
from .metrics import Metrics, summarize
from .params import ScoringParams
from .pools import PoolSnapshot, is_excluded_dex, parse_pool
from .quality import metric_warnings
from .text import clean_text, clean_url

SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Aggregation:
    """Everything one DexScreener answer says about one token."""

    pools: tuple[PoolSnapshot, ...]
    metrics: Metrics | None
    issues: tuple[QualityIssue, ...]
    name: str | None
    symbol: str | None
    image_url: str | None

    @property
    def critical(self) -> bool:
        """True when an issue blocks the update (then ``metrics`` is None)."""
        return has_critical(self.issues)


@dataclass(frozen=True)
class _Parsed:
    pools: tuple[PoolSnapshot, ...]
    raws: Mapping[str, Mapping[str, Any]]  # pair address -> raw pair, for name and image
    issues: tuple[QualityIssue, ...]


def aggregate(
    mint: str,
    pairs: Sequence[Mapping[str, Any]],
    params: ScoringParams,
    *,
    migrated_at: datetime | None,
    now: datetime,
    previous_pool_count: int | None,
    previous_peak_usd: float | None = None,
) -> Aggregation:
    """Pairs (the exact DexScreener shape) -> Aggregation for ``mint``.

    Pairs of other base tokens are ignored (a batch answer mixes tokens); a repeated
    pairAddress counts once. Any critical issue (see ``parse_pool``) drops metrics to None:
    sums that silently miss a broken pool would be wrong. Otherwise metrics are summed over
    the kept pools, hours = hours since migrated_at (or since the earliest pairCreatedAt of a
    non-excluded pool when unknown), and the warning rules of ``quality`` apply.
    """
    parsed = _parse_pairs(mint, pairs, params)
    metrics: Metrics | None = None
    issues = parsed.issues
    if not has_critical(issues):
        hours = hours_since_migration(migrated_at, parsed.pools, now, params)
        metrics = summarize(parsed.pools, hours, now=now, previous_peak_usd=previous_peak_usd)
        if metrics.is_finite():
            issues += metric_warnings(metrics, previous_pool_count)
        else:
            issues += (critical("non_finite_value", f"the kept-pool sums of {mint} overflow"),)
            metrics = None
    return _with_identity(parsed, metrics, issues)


def hours_since_migration(
    migrated_at: datetime | None,
    pools: Sequence[PoolSnapshot],
    now: datetime,
    params: ScoringParams,
) -> float | None:
    """hours = (now - migrated_at) / 1 h, floored at 0 against clock skew.

    Without migrated_at, the earliest pairCreatedAt of a pool on a non-excluded dex stands in:
    the bonding-curve pair dates from the token's creation, not its migration. None if neither.
    """
    start = migrated_at or min(
        (
            pool.pair_created_at
            for pool in pools
            if pool.pair_created_at is not None and not is_excluded_dex(pool.dex_id, params)
        ),
        default=None,
    )
    if start is None:
        return None
    return max(0.0, (now - start).total_seconds() / SECONDS_PER_HOUR)


def _parse_pairs(mint: str, pairs: Sequence[Mapping[str, Any]], params: ScoringParams) -> _Parsed:
    pools: dict[str, PoolSnapshot] = {}
    raws: dict[str, Mapping[str, Any]] = {}
    issues: list[QualityIssue] = []
    for index, pair in enumerate(pairs):
        found = _base_address(pair, index)
        if isinstance(found, QualityIssue):
            issues.append(found)
            continue
        address = pair.get("pairAddress")
        if found != mint or (isinstance(address, str) and address in pools):
            continue
        label = address if isinstance(address, str) and address else f"#{index}"
        pool, pool_issues = parse_pool(pair, params, label=label)
        issues.extend(pool_issues)
        if pool is not None:
            pools[pool.pair_address] = pool
            raws[pool.pair_address] = pair
    return _Parsed(tuple(pools.values()), raws, tuple(issues))


def _base_address(pair: Any, index: int) -> str | QualityIssue:
    """baseToken.address, or the critical issue that makes the pair unattributable."""
    if not isinstance(pair, Mapping):
        return critical("wrong_type", f"pair #{index} is {type(pair).__name__}, not an object")
    base = pair.get("baseToken")
    address = base.get("address") if isinstance(base, Mapping) else None
    if isinstance(address, str) and address:
        return address
    label = pair.get("pairAddress", f"#{index}")
    if address is None:
        return critical("missing_field", f"pair {label}: baseToken.address is missing")
    return critical("wrong_type", f"pair {label}: baseToken.address = {address!r} is not a string")


def _with_identity(
    parsed: _Parsed, metrics: Metrics | None, issues: tuple[QualityIssue, ...]
) -> Aggregation:
    # Name and image come from the primary pair first, then from any other pair of the token.
    primary = metrics.primary_pair_address if metrics else None
    raws = sorted(parsed.raws.items(), key=lambda item: item[0] != primary)
    candidates = [raw for _, raw in raws]
    return Aggregation(
        pools=parsed.pools,
        metrics=metrics,
        issues=issues,
        name=_first_text(candidates, "baseToken", "name"),
        symbol=_first_text(candidates, "baseToken", "symbol"),
        image_url=_first_url(candidates, "info", "imageUrl"),
    )


def _first_text(pairs: Sequence[Mapping[str, Any]], parent: str, key: str) -> str | None:
    for pair in pairs:
        node = pair.get(parent)
        value = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(value, str) and (text := clean_text(value)):
            return text
    return None


def _first_url(pairs: Sequence[Mapping[str, Any]], parent: str, key: str) -> str | None:
    for pair in pairs:
        node = pair.get(parent)
        value = node.get(key) if isinstance(node, Mapping) else None
        if isinstance(value, str) and (url := clean_url(value)):
            return url
    return None
