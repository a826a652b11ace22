from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from scoring.engine import (
    Metrics,
    PoolSnapshot,
    QualityIssue,
    ScoringParams,
    aggregate,
    evaluate,
)

from .builders import (
    EXAMPLE_CREATED_AT,
    EXAMPLE_PAIR_ADDRESS,
    MINT,
    OTHER_MINT,
    V1,
    example_pair,
    make_pair,
)

NOW = EXAMPLE_CREATED_AT + timedelta(minutes=90)
CREATED_MS = 1772427561000  # the example's pairCreatedAt


def _aggregate(pairs: list[Any], *, params: ScoringParams | None = None, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"migrated_at": None, "now": NOW, "previous_pool_count": None}
    options.update(kwargs)
    return aggregate(MINT, pairs, params or ScoringParams(), **options)


def test_it_types_the_example_pair() -> None:
    aggregation = _aggregate([example_pair()])

    assert aggregation.pools == (
        PoolSnapshot(
            pair_address=EXAMPLE_PAIR_ADDRESS,
            dex_id="pumpswap",
            labels=(),
            quote_symbol="SOL",
            url="https://dexscreener.com/solana/8ittpmfhz8srxfy5u5xoasdevdbf3gs6xjxzwp8g1nft",
            liquidity_usd=36295.05,
            buys_5m=529,
            sells_5m=424,
            buys_1h=4523,
            sells_1h=4357,
            volume_5m=54232.17,
            volume_1h=305644.82,
            volume_24h=564990.98,
            price_usd=0.0002035,
            price_change_5m=3.5,
            price_change_1h=418.0,
            pair_created_at=datetime(2026, 3, 2, 4, 59, 21, tzinfo=UTC),
            kept=True,
            liquidity_quote=217.6554,
            price_native=2.44e-06,
            market_cap_usd=203536.0,
        ),
    )


def test_it_aggregates_the_example_pair_into_exact_metrics() -> None:
    aggregation = _aggregate([example_pair()])

    assert aggregation.metrics == Metrics(
        L_tot=36295.05,
        tx_5m=953,  # 529 + 424
        tx_1h=8880,  # 4523 + 4357
        vol_5m=54232.17,
        vol_1h=305644.82,
        buys_5m=529,
        sells_5m=424,
        pool_count=1,
        primary_pair_address=EXAMPLE_PAIR_ADDRESS,
        primary_dex_id="pumpswap",
        price_usd=0.0002035,
        dp5=0.035,  # 3.5 / 100
        dp15=1.045,  # 418 / 400
        hours_since_migration=1.5,  # 90 minutes after pairCreatedAt, migrated_at unknown
        history_minutes=90.0,
        tx_pace_5m=190.6,  # 953 / 5
        tx_pace_rest=(8880 - 953) / 55,  # the other 55 minutes of a full hour
        vol_pace_5m=54232.17 / 5,
        vol_pace_rest=(305644.82 - 54232.17) / 55,
        window_5m_minutes=5.0,
        window_1h_minutes=60.0,
        dp60=4.18,
        implausible_pools=0,
        peak_liquidity_usd=36295.05,
    )
    assert aggregation.issues == ()
    assert aggregation.critical is False


def test_it_reads_the_token_identity_from_the_pair() -> None:
    aggregation = _aggregate([example_pair()])

    assert (aggregation.name, aggregation.symbol) == ("The Baby Elephant", "Solana")
    assert aggregation.image_url == (
        "https://cdn.dexscreener.com/cms/images/2zhihuds9VukXEC_?width=800&height=800&quality=90"
    )


def test_it_scores_the_example_pair_end_to_end() -> None:
    evaluation = evaluate(_aggregate([example_pair()]), V1, previous=None, recent_good_smoothed=[])

    # tx_accel 190.6/148 = 1.2878378; vol_momentum 650786.04/305644.82 = 2.1292232;
    # freshness (6-1.5)/6 = 0.75; imbalance 105/953 = 0.1101784
    # score 0.25 * (1.2878378 + 2.1292232 + 0.75 + 0.1101784) = 1.0693099
    assert evaluation.raw_components == pytest.approx(
        {
            "tx_accel": 190.6 / 148,
            "vol_momentum": 650786.04 / 305644.82,
            "token_freshness": 0.75,
            "orderflow_imbalance": 105 / 953,
            "final_score": 1.0693098541,
        }
    )
    assert evaluation.fallback is None


def test_it_writes_metrics_json_with_one_name_per_value() -> None:
    metrics = _aggregate([example_pair()]).metrics

    data = metrics.to_json()

    assert (data["tx_5m"], data["tx_1h"]) == (953, 8880)
    assert (data["vol_5m"], data["vol_1h"]) == (54232.17, 305644.82)
    assert sorted(data) == sorted(Metrics.__dataclass_fields__)


def test_it_measures_hours_from_migrated_at_when_known() -> None:
    migrated_at = NOW - timedelta(hours=4, minutes=30)

    metrics = _aggregate([example_pair()], migrated_at=migrated_at).metrics

    assert metrics.hours_since_migration == 4.5


def test_it_floors_hours_at_zero_against_clock_skew() -> None:
    metrics = _aggregate([example_pair()], migrated_at=NOW + timedelta(minutes=5)).metrics

    assert metrics.hours_since_migration == 0.0


def test_it_ignores_the_older_bonding_curve_pair_when_estimating_the_age() -> None:
    curve = make_pair("CURVE", dex_id="pumpfun", liquidity=None, created_ms=CREATED_MS - 86_400_000)

    metrics = _aggregate([curve, example_pair()]).metrics

    assert metrics.hours_since_migration == 1.5


def test_it_has_no_age_without_migrated_at_or_pair_creation_times() -> None:
    pair = example_pair()
    del pair["pairCreatedAt"]

    metrics = _aggregate([pair]).metrics

    assert metrics.hours_since_migration is None


def test_it_sums_the_kept_pools_and_picks_the_most_liquid_as_primary() -> None:
    small = make_pair(
        "SMALL",
        liquidity=2_000.0,
        txns_5m=(3, 1),
        txns_1h=(30, 10),
        volume_5m=50.0,
        volume_1h=400.0,
        price_change_5m=-2.0,
        price_change_1h=10.0,
    )
    big = make_pair(
        "BIG",
        dex_id="meteora",
        quote="USDC",
        liquidity=8_000.0,
        txns_5m=(5, 5),
        txns_1h=(60, 40),
        volume_5m=150.0,
        volume_1h=1_600.0,
        price_change_5m=4.0,
        price_change_1h=-20.0,
    )

    metrics = _aggregate([small, big]).metrics

    assert metrics == Metrics(
        L_tot=10_000.0,  # 2000 + 8000
        tx_5m=14,  # (3+1) + (5+5)
        tx_1h=140,  # (30+10) + (60+40)
        vol_5m=200.0,  # 50 + 150
        vol_1h=2_000.0,  # 400 + 1600
        buys_5m=8,
        sells_5m=6,
        pool_count=2,
        primary_pair_address="BIG",
        primary_dex_id="meteora",
        price_usd=0.5,
        dp5=0.04,  # 4 / 100
        dp15=-0.05,  # -20 / 400
        hours_since_migration=None,
        tx_pace_5m=14 / 5,  # no pairCreatedAt: full windows
        tx_pace_rest=(140 - 14) / 55,
        vol_pace_5m=200 / 5,
        vol_pace_rest=(2_000 - 200) / 55,
        window_5m_minutes=5.0,
        window_1h_minutes=60.0,
        dp60=-0.2,
        peak_liquidity_usd=10_000.0,
    )


def test_an_absent_price_change_window_is_none_not_an_issue() -> None:
    pair = example_pair()
    del pair["priceChange"]["m5"]

    aggregation = _aggregate([pair])

    assert aggregation.metrics.dp5 is None
    assert aggregation.metrics.dp15 == 1.045
    # 953 trades and no m5 move reported: a warning, not a critical issue
    assert [issue.code for issue in aggregation.issues] == ["trades_without_price_move"]


@pytest.mark.parametrize(
    ("pair", "reason"),
    [
        (make_pair("CURVE", dex_id="pumpfun", liquidity=50_000.0), "excluded dex"),
        (make_pair("LAUNCH", dex_id="LaunchLab", liquidity=50_000.0), "excluded dex, any case"),
        (make_pair("BONK", quote="BONK", liquidity=50_000.0), "quote not allowed"),
        (make_pair("THIN", liquidity=499.99), "below min_pool_liquidity_usd"),
        (make_pair("NOLIQ", liquidity=None), "liquidity absent"),
    ],
)
def test_it_keeps_the_pool_row_but_not_in_the_metrics(pair: dict[str, Any], reason: str) -> None:
    aggregation = _aggregate([example_pair(), pair])

    assert [pool.kept for pool in aggregation.pools] == [True, False], reason
    assert aggregation.metrics.pool_count == 1
    assert aggregation.metrics.L_tot == 36295.05


def test_it_keeps_a_pool_at_exactly_the_minimum_liquidity_and_any_quote_case() -> None:
    pair = make_pair("EDGE", quote="usdc", liquidity=500.0)

    aggregation = _aggregate([pair])

    assert [pool.kept for pool in aggregation.pools] == [True]


def test_it_ignores_pairs_of_other_tokens_entirely() -> None:
    other = make_pair("OTHER", base=OTHER_MINT, liquidity=-5.0)

    aggregation = _aggregate([other, example_pair()])

    assert [pool.pair_address for pool in aggregation.pools] == [EXAMPLE_PAIR_ADDRESS]
    assert aggregation.issues == ()


def test_it_counts_a_repeated_pair_once() -> None:
    aggregation = _aggregate([example_pair(), example_pair()])

    assert len(aggregation.pools) == 1
    assert aggregation.metrics.tx_5m == 953


def test_it_follows_custom_filters() -> None:
    params = ScoringParams(
        excluded_dex_ids=("raydium",), allowed_quote_symbols=("BONK",), min_pool_liquidity_usd=10
    )
    pairs = [
        make_pair("CURVE", dex_id="pumpfun", quote="BONK", liquidity=20.0),
        make_pair("RAY", dex_id="raydium", quote="BONK", liquidity=20.0),
    ]

    aggregation = _aggregate(pairs, params=params)

    assert [(pool.pair_address, pool.kept) for pool in aggregation.pools] == [
        ("CURVE", True),
        ("RAY", False),
    ]


def test_without_kept_pools_it_scores_freshness_only_with_a_warning() -> None:
    curve = make_pair("CURVE", dex_id="pumpfun", liquidity=None, txns_5m=(40, 2))

    aggregation = _aggregate([curve], migrated_at=NOW - timedelta(hours=3))
    evaluation = evaluate(aggregation, V1, previous=None, recent_good_smoothed=[])

    assert aggregation.metrics == Metrics(
        L_tot=0.0,
        tx_5m=0,
        tx_1h=0,
        vol_5m=0.0,
        vol_1h=0.0,
        buys_5m=0,
        sells_5m=0,
        pool_count=0,
        primary_pair_address=None,
        primary_dex_id=None,
        price_usd=None,
        dp5=None,
        dp15=None,
        hours_since_migration=3.0,
        history_minutes=180.0,
        peak_liquidity_usd=0.0,
    )
    assert aggregation.issues == (
        QualityIssue(
            "no_kept_pools",
            "no pool passes the kept-pool filter; scored on freshness only",
            "warning",
        ),
    )
    # freshness (6-3)/6 = 0.5, every other component 0: 0.25 * 0.5 = 0.125
    assert evaluation.score == pytest.approx(0.125)
    assert evaluation.fallback == "degraded"


def test_an_empty_answer_is_a_token_without_kept_pools() -> None:
    aggregation = _aggregate([])

    assert aggregation.pools == ()
    assert aggregation.metrics.pool_count == 0
    assert [issue.code for issue in aggregation.issues] == ["no_kept_pools"]
    assert (aggregation.name, aggregation.symbol, aggregation.image_url) == (None, None, None)


def test_it_takes_name_and_image_from_the_primary_pair_first() -> None:
    minor = make_pair("MINOR", liquidity=600.0)
    minor["baseToken"]["name"] = "Minor Name"
    primary = example_pair()
    del primary["info"]

    aggregation = _aggregate([minor, primary])

    assert aggregation.name == "The Baby Elephant"
    assert aggregation.image_url is None
