"""TokenScore rows as a refresh writes them: metrics = Metrics.to_json() + the quality keys."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from scoring.engine import Metrics
from scoring.models import TokenScore
from tests.factories import TokenScoreFactory
from tests.scoring.backtest.builders import BUSY
from tokens.models import Token

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def stored(
    token: Token,
    minute: float,
    m: Metrics | None = BUSY,
    *,
    price: float | None = None,
    fallback: str | None = None,
) -> TokenScore:
    """A snapshot of `token` at T0 + `minute` minutes; `price` replaces m.price_usd."""
    if m is not None and price is not None:
        m = replace(m, price_usd=price)
    data = m.to_json() if m is not None else {}
    data.update(data_quality_ok=fallback is None, data_quality_issues=[], fallback=fallback)
    return TokenScoreFactory(token=token, metrics=data, created_at=T0 + timedelta(minutes=minute))
