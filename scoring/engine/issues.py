"""Data-quality issues: what is wrong with a snapshot, and how badly.

Critical codes (the update is blocked, an ``emergency`` snapshot is written):
``missing_field``, ``wrong_type``, ``non_finite_value``, ``invalid_timestamp``,
``negative_liquidity``, ``negative_tx_count``, ``negative_volume``, ``negative_price``,
``fetch_failed`` (no answer at all; written on ``fallback`` snapshots).

Warning codes (scored normally, flagged ``degraded``): ``no_kept_pools``,
``liquidity_without_trades``, ``trades_without_price_move``, ``extreme_price_change``,
``tx_5m_exceeds_1h``, ``volume_5m_exceeds_1h``, ``pool_count_jump``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

CRITICAL = "critical"
WARNING = "warning"


@dataclass(frozen=True)
class QualityIssue:
    """One problem found in a snapshot's data; ``code`` is stable, ``message`` is for humans."""

    code: str
    message: str
    severity: str

    def to_json(self) -> dict[str, str]:
        """The issue as stored in ``TokenScore.metrics["data_quality_issues"]``."""
        return {"code": self.code, "message": self.message, "severity": self.severity}


def critical(code: str, message: str) -> QualityIssue:
    """A blocking issue."""
    return QualityIssue(code=code, message=message, severity=CRITICAL)


def warning(code: str, message: str) -> QualityIssue:
    """A flagging issue: the snapshot is still scored."""
    return QualityIssue(code=code, message=message, severity=WARNING)


def has_critical(issues: Iterable[QualityIssue]) -> bool:
    """True when any issue blocks the update."""
    return any(issue.severity == CRITICAL for issue in issues)
