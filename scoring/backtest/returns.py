"""Forward price returns: what happened to the price some minutes after each snapshot."""

from __future__ import annotations

from collections.abc import Sequence

TOLERANCE_FRACTION = 0.5  # a forward price may come up to half a horizon late


def forward_returns(
    times: Sequence[float],
    prices: Sequence[float | None],
    horizon: float,
    tolerance: float,
) -> list[float | None]:
    """For each snapshot i of one token (``times`` ascending, in seconds), the forward return

        r_i = p_j / p_i - 1, j = the first snapshot with t_j >= t_i + horizon and a price,

    or None when p_i is missing or not positive, when no such j exists, or when t_j comes
    later than t_i + horizon + tolerance (a gap in the history is no forward price).
    """
    n = len(times)
    next_priced = _next_priced(prices)
    out: list[float | None] = []
    j = 0
    for i in range(n):
        target = times[i] + horizon
        while j < n and times[j] < target:  # t_i ascends, so j never moves back
            j += 1
        origin = prices[i]
        k = next_priced[j]
        if origin is None or not origin > 0 or k == n or times[k] > target + tolerance:
            out.append(None)
            continue
        later = prices[k]
        assert later is not None
        out.append(later / origin - 1)
    return out


def _next_priced(prices: Sequence[float | None]) -> list[int]:
    """next[k] = the first index >= k whose price is known (len(prices) when none)."""
    n = len(prices)
    out = [n] * (n + 1)
    for k in range(n - 1, -1, -1):
        out[k] = k if prices[k] is not None else out[k + 1]
    return out
