"""The market's realism: young windows, thin tokens, parked fake-liquidity pools, volume bots,
dead tokens' trickle, each as DexScreener shows it on real graduates."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from ingestion.sandbox import Market
from ingestion.sandbox.habits import draw_habits
from ingestion.sandbox.life import TokenSpec
from ingestion.sandbox.story import buying_burst, wash_rate
from tests.ingestion.sandbox.conftest import EXAMPLE_PAIR, START_MS
from tests.ingestion.sandbox.test_dexscreener_api import assert_same_shape

MINUTE = 60_000
HOUR = 60 * MINUTE
CAPTURE = (
    Path(__file__).parents[3].parent
    / "shared/research/captures/dexscreener-latest-dex-search-jouleka-1.json"
)


@cache
def day_market() -> tuple[Market, list[TokenSpec]]:
    market = Market(seed=21, start_ms=START_MS, preseed_tokens=300, preseed_hours=12)
    return market, market.tokens(START_MS)


def amm_pair(pairs: list[dict[str, Any]]) -> dict[str, Any]:
    return next(pair for pair in pairs if pair["dexId"] == "pumpswap")


def trades(pair: dict[str, Any], window: str) -> int:
    return pair["txns"][window]["buys"] + pair["txns"][window]["sells"]


def test_habits_come_in_realistic_shares_and_only_from_the_seed() -> None:
    _, specs = day_market()

    counts = Counter(flag for s in specs for flag, held in s.habits.summary().items() if held)

    assert len(specs) == 300
    assert counts == {
        "thin": 76,
        "wash": 60,
        "fake_liquidity": 23,
        "pump_before_rug": 16,
        "revival": 95,
    }
    assert all(s.habits == draw_habits(s.seed, s.story) for s in specs)
    assert not any(s.habits.is_thin for s in specs if s.story == "rug")


def test_a_young_pool_counts_only_the_trades_since_it_opened_in_every_window() -> None:
    market = Market(seed=3, start_ms=START_MS, migrations_per_hour=0, creates_per_minute=0)
    spec = market.force_migration(START_MS, story="steady")[0]
    at = START_MS + 8 * MINUTE
    tape = market.tape(spec.mint)
    assert tape is not None

    pool = amm_pair(market.token_pairs(spec.mint, at))

    since_open = tape.point(at).buys - tape.point(spec.migrated_ms).buys
    last_5 = tape.point(at).buys - tape.point(at - 5 * MINUTE).buys
    assert [pool["txns"][w]["buys"] for w in ("m5", "h1", "h6", "h24")] == [
        last_5,
        since_open,
        since_open,
        since_open,
    ]
    assert (last_5, since_open) == (50, 75)
    assert pool["priceChange"]["h1"] == pool["priceChange"]["h24"] != pool["priceChange"]["m5"]


def buying_within(spec: TokenSpec, at_ms: int, minutes: float) -> bool:
    """A buying wave's burst was on in the `minutes` before at_ms."""
    age = (at_ms - spec.migrated_ms) / MINUTE
    return any(buying_burst(spec, age - k - 0.5) for k in range(int(minutes)))


def reviving(spec: TokenSpec, at_ms: int) -> bool:
    """The token's revival (with its fall-back) covers the 5 minutes before at_ms."""
    habits = spec.habits
    if not habits.revival_at:
        return False
    start = spec.migrated_ms + habits.revival_at * MINUTE
    return start - 5 * MINUTE <= at_ms < start + 1.25 * habits.revival_len * MINUTE + 5 * MINUTE


def test_thin_tokens_trade_a_few_times_for_a_few_dollars() -> None:
    market, specs = day_market()
    thin = [s for s in specs if s.habits.is_thin and START_MS - s.migrated_ms > 2 * HOUR]

    counts, sizes = [], []
    for spec in thin:
        for k in range(0, 120, 20):
            if reviving(spec, START_MS + k * MINUTE):
                continue  # a second wave of buyers wakes the token up: it is not thin then
            pool = amm_pair(market.token_pairs(spec.mint, START_MS + k * MINUTE))
            counts.append(trades(pool, "m5"))
            if trades(pool, "m5"):
                sizes.append(pool["volume"]["m5"] / trades(pool, "m5"))

    assert len(thin) == 68
    assert 1 <= statistics.median(counts) <= 4
    assert statistics.quantiles(counts, n=10)[-1] <= 12
    assert statistics.median(sizes) < 10  # dollars a trade


def fake_pools() -> list[tuple[TokenSpec, dict[str, Any]]]:
    market, specs = day_market()
    found = []
    for spec in specs:
        fake = next((p for p in spec.pools if p.fake is not None), None)
        if fake is not None and fake.created_ms <= START_MS:
            pairs = market.token_pairs(spec.mint, START_MS)
            found.append((spec, next(p for p in pairs if p["pairAddress"] == fake.pair_address)))
    return found


def test_a_parked_pool_claims_huge_liquidity_against_a_few_dollars_of_quote() -> None:
    found = fake_pools()

    assert len(found) == 20
    for spec, pair in found:
        assert_same_shape(pair, EXAMPLE_PAIR)
        assert (pair["dexId"], *pair["labels"]) in {("raydium", "CLMM"), ("meteora", "DLMM")}
        quote_usd = 1.0 if pair["quoteToken"]["symbol"] == "USDC" else 150.0
        price, native = float(pair["priceUsd"]), float(pair["priceNative"])
        assert price / native == pytest.approx(quote_usd, rel=2e-3)
        liquidity = pair["liquidity"]
        worth = liquidity["base"] * price + liquidity["quote"] * quote_usd
        assert liquidity["usd"] == pytest.approx(worth, rel=2e-3)
        assert liquidity["quote"] * quote_usd < 50
        assert liquidity["usd"] > 300_000
        assert pair["fdv"] == pytest.approx(price * 1e9, rel=1e-3)
        assert pair["txns"]["h24"]["buys"] == pair["txns"]["h24"]["sells"]  # in and out again
        market = amm_pair(day_market()[0].token_pairs(spec.mint, START_MS))
        assert price > 100 * float(market["priceUsd"])


@pytest.mark.skipif(not CAPTURE.is_file(), reason="the research captures are not on this machine")
def test_a_parked_pool_has_the_shape_of_the_captured_clmm_pools() -> None:
    body = json.loads(CAPTURE.read_text())["body"]
    captured = next(
        p for p in body["pairs"] if p.get("labels") == ["CLMM"] and p["liquidity"]["usd"] > 1e9
    )

    for _, pair in fake_pools():
        assert [k for k in pair if k not in ("info", "boosts")] == list(captured)
        assert list(pair["liquidity"]) == list(captured["liquidity"])


def burst_minute(spec: TokenSpec) -> float | None:
    """An age (minutes) 6 minutes into one of the token's volume-bot bursts, if any."""
    run = 0
    for minute in range(12 * 60):
        run = run + 1 if wash_rate(spec, minute + 0.5) else 0
        if run == 6:
            return minute + 1.0
    return None


def test_a_volume_bot_burst_trades_a_lot_with_little_net_flow_and_a_flat_price() -> None:
    market, specs = day_market()
    checked = 0
    # On a thin token the bot is nearly all the trading; on a busy one it adds to the story's.
    for spec in (s for s in specs if s.habits.is_thin):
        age = burst_minute(spec) if spec.habits.wash_rate else None
        at = spec.migrated_ms + int((age or 0) * MINUTE)
        if age is None or age < 60 or at > START_MS + 12 * HOUR:
            continue
        if reviving(spec, at) or buying_within(spec, at, 12):  # real buyers move the price
            continue
        during = amm_pair(market.token_pairs(spec.mint, at))
        before = amm_pair(market.token_pairs(spec.mint, at - 7 * MINUTE))  # just before it
        buys, sells = during["txns"]["m5"]["buys"], during["txns"]["m5"]["sells"]
        assert trades(during, "m5") >= 50
        assert trades(during, "m5") > 3 * trades(before, "m5")
        assert abs(buys - sells) / (buys + sells) < 0.15
        assert abs(during["priceChange"]["m5"]) < 3
        checked += 1

    assert checked == 7


def test_dead_tokens_keep_a_trickle_of_trades() -> None:
    market, specs = day_market()
    faded = [s for s in specs if s.story == "fade" and not s.habits.is_thin]
    faded = [s for s in faded if START_MS - s.migrated_ms > 6 * HOUR and not s.habits.wash_rate]
    # A second wave, or a buying wave's burst, wakes it up for a while.
    faded = [s for s in faded if not reviving(s, START_MS) and not buying_within(s, START_MS, 60)]

    pools = [amm_pair(market.token_pairs(s.mint, START_MS)) for s in faded]

    assert len(pools) == 17
    assert all(trades(p, "h6") >= 1 for p in pools)
    assert all(trades(p, "h1") <= 40 for p in pools)
    assert statistics.median(trades(p, "h1") for p in pools) <= 10
