import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from scoring.engine import QualityIssue, ScoringParams, aggregate, pool_count_jumped
from scoring.engine.quality import metric_warnings

from .builders import EXAMPLE_CREATED_AT, MINT, example_pair, make_metrics, make_pair

P = "pair 8ittpMFhz8SrxFy5u5xoaSDeVdbF3gS6xjXZwP8G1nFt"
Mutation = Callable[[dict[str, Any]], None]


def _aggregate(pairs: list[Any], previous_pool_count: int | None = None) -> Any:
    return aggregate(
        MINT,
        pairs,
        ScoringParams(),
        migrated_at=None,
        now=EXAMPLE_CREATED_AT + timedelta(hours=1),
        previous_pool_count=previous_pool_count,
    )


def _set(*path: str, value: Any) -> Mutation:
    def mutate(pair: dict[str, Any]) -> None:
        node = pair
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return mutate


def _delete(*path: str) -> Mutation:
    def mutate(pair: dict[str, Any]) -> None:
        node = pair
        for key in path[:-1]:
            node = node[key]
        del node[path[-1]]

    return mutate


CRITICAL_CASES = [
    (_set("liquidity", "usd", value=-1), "negative_liquidity", "liquidity.usd = -1.0 is negative"),
    (_set("txns", "m5", "buys", value=-5), "negative_tx_count", "txns.m5.buys = -5 is negative"),
    (_set("txns", "h1", "sells", value=-1), "negative_tx_count", "txns.h1.sells = -1 is negative"),
    (_set("volume", "h1", value=-0.5), "negative_volume", "volume.h1 = -0.5 is negative"),
    (_set("priceUsd", value="-0.1"), "negative_price", "priceUsd = -0.1 is negative"),
    (
        _set("txns", "m5", "buys", value="529"),
        "wrong_type",
        "txns.m5.buys = '529' is not an integer",
    ),
    (
        _set("txns", "m5", "buys", value=529.0),
        "wrong_type",
        "txns.m5.buys = 529.0 is not an integer",
    ),
    (_set("priceUsd", value="abc"), "wrong_type", "priceUsd = 'abc' is not a numeric string"),
    (
        _set("liquidity", "usd", value="36295.05"),
        "wrong_type",
        "liquidity.usd = '36295.05' is not a number",
    ),
    (_set("volume", "m5", value=True), "wrong_type", "volume.m5 = True is not a number"),
    (
        _set("priceChange", "m5", value="3.5"),
        "wrong_type",
        "priceChange.m5 = '3.5' is not a number",
    ),
    (_set("txns", value=[]), "wrong_type", "txns = [] is not an object"),
    (_set("dexId", value=7), "wrong_type", "dexId = 7 is not a string"),
    (
        _set("pairCreatedAt", value="yesterday"),
        "wrong_type",
        "pairCreatedAt = 'yesterday' is not a number",
    ),
    (_delete("dexId"), "missing_field", "dexId is missing"),
    (_delete("quoteToken", "symbol"), "missing_field", "quoteToken.symbol is missing"),
    (_delete("volume", "h1"), "missing_field", "volume.h1 is missing"),
    (_set("txns", "m5", value=None), "missing_field", "txns.m5.buys is missing"),
    (_set("volume", "m5", value=math.inf), "non_finite_value", "volume.m5 = inf is not finite"),
    (
        _set("liquidity", "usd", value=math.nan),
        "non_finite_value",
        "liquidity.usd = nan is not finite",
    ),
    (_set("priceUsd", value="NaN"), "non_finite_value", "priceUsd = nan is not finite"),
    (
        _set("txns", "h1", "buys", value=10**400),
        "non_finite_value",
        "txns.h1.buys = 100000000000000000...0000000000000000000 is not finite",
    ),
    (
        _set("pairCreatedAt", value=1e20),
        "invalid_timestamp",
        "pairCreatedAt = 1e+20 is not a valid time",
    ),
]


@pytest.mark.parametrize(("mutate", "code", "detail"), CRITICAL_CASES)
def test_it_blocks_the_update_on_a_critical_issue(mutate: Mutation, code: str, detail: str) -> None:
    pair = example_pair()
    mutate(pair)

    aggregation = _aggregate([pair])

    assert aggregation.issues[0] == QualityIssue(code, f"{P}: {detail}", "critical")
    assert aggregation.critical is True
    assert aggregation.metrics is None
    assert aggregation.pools == ()


def test_a_missing_window_reports_each_missing_count() -> None:
    pair = example_pair()
    del pair["txns"]["m5"]

    aggregation = _aggregate([pair])

    assert [issue.message for issue in aggregation.issues] == [
        f"{P}: txns.m5.buys is missing",
        f"{P}: txns.m5.sells is missing",
    ]


def test_a_non_object_parent_is_reported_once() -> None:
    pair = example_pair()
    pair["txns"] = []

    aggregation = _aggregate([pair])

    assert aggregation.issues == (
        QualityIssue("wrong_type", f"{P}: txns = [] is not an object", "critical"),
    )


def test_a_missing_pair_address_is_critical_and_labelled_by_position() -> None:
    pair = example_pair()
    del pair["pairAddress"]

    aggregation = _aggregate([pair])

    assert aggregation.issues == (
        QualityIssue("missing_field", "pair #0: pairAddress is missing", "critical"),
    )


@pytest.mark.parametrize(
    ("base_token", "issue"),
    [
        (
            {"name": "x"},
            QualityIssue("missing_field", "pair P: baseToken.address is missing", "critical"),
        ),
        (
            {"address": 5},
            QualityIssue("wrong_type", "pair P: baseToken.address = 5 is not a string", "critical"),
        ),
    ],
)
def test_a_pair_without_a_readable_base_token_is_critical(
    base_token: dict[str, Any], issue: QualityIssue
) -> None:
    pair = make_pair("P")
    pair["baseToken"] = base_token

    aggregation = _aggregate([pair, example_pair()])

    assert aggregation.issues == (issue,)
    assert aggregation.metrics is None


def test_a_pair_that_is_not_an_object_is_critical() -> None:
    aggregation = _aggregate([["not", "a", "pair"]])

    assert aggregation.issues == (
        QualityIssue("wrong_type", "pair #0 is list, not an object", "critical"),
    )


def test_one_broken_pool_blocks_the_whole_update_but_not_the_good_pools_rows() -> None:
    broken = make_pair("BROKEN", volume_1h=-1.0)

    aggregation = _aggregate([example_pair(), broken])

    assert aggregation.critical is True
    assert aggregation.metrics is None
    assert [pool.pair_address for pool in aggregation.pools] == [example_pair()["pairAddress"]]


def test_sums_that_overflow_are_critical() -> None:
    pairs = [make_pair("A", liquidity=1.5e308), make_pair("B", liquidity=1.5e308)]

    aggregation = _aggregate(pairs)

    assert aggregation.issues == (
        QualityIssue("non_finite_value", f"the kept-pool sums of {MINT} overflow", "critical"),
    )
    assert aggregation.metrics is None


def test_a_bonding_curve_pair_may_lack_liquidity_and_windows() -> None:
    curve = {
        "dexId": "pumpfun",
        "pairAddress": "CURVE",
        "baseToken": {"address": MINT},
        "quoteToken": {"symbol": "SOL"},
        "priceUsd": "0.0001",
    }

    aggregation = _aggregate([curve, example_pair()])

    assert aggregation.issues == ()
    assert aggregation.pools[0].liquidity_usd is None
    assert aggregation.pools[0].volume_5m == 0.0
    assert aggregation.pools[0].kept is False


def test_a_non_excluded_pair_must_carry_its_windows() -> None:
    pair = make_pair("RAY")
    del pair["volume"]["m5"]

    aggregation = _aggregate([pair])

    assert aggregation.issues == (
        QualityIssue("missing_field", "pair RAY: volume.m5 is missing", "critical"),
    )


def test_cosmetic_fields_never_block_the_update() -> None:
    pair = example_pair()
    pair["url"] = 5
    pair["labels"] = ["CLMM", 3]
    pair["info"] = "broken"
    pair["baseToken"]["name"] = None

    aggregation = _aggregate([pair])

    assert aggregation.issues == ()
    assert (aggregation.pools[0].url, aggregation.pools[0].labels) == ("", ("CLMM",))
    assert (aggregation.name, aggregation.image_url) == (None, None)


def test_a_plain_number_price_is_accepted() -> None:
    pair = example_pair()
    pair["priceUsd"] = 0.0002035

    assert _aggregate([pair]).metrics.price_usd == 0.0002035


def test_the_example_pair_has_no_issue() -> None:
    assert _aggregate([example_pair()]).issues == ()


def _codes(**metrics: Any) -> list[str]:
    return [issue.code for issue in metric_warnings(make_metrics(**metrics), None)]


def test_it_warns_about_liquidity_without_trades() -> None:
    [issue] = metric_warnings(make_metrics(L_tot=10_000.5), None)

    assert issue == QualityIssue(
        "liquidity_without_trades", "L_tot = 10000.50 USD > 10000 with tx_5m = 0", "warning"
    )
    assert _codes(L_tot=10_000.0) == []
    assert _codes(L_tot=50_000.0, tx_5m=1, tx_1h=1) == []


def test_it_warns_about_trades_without_price_move() -> None:
    [issue] = metric_warnings(make_metrics(tx_5m=201, tx_1h=500, dp5=-0.0005), None)

    assert issue == QualityIssue(
        "trades_without_price_move", "tx_5m = 201 > 200 with |dp5| = 0.0005 < 0.001", "warning"
    )
    assert _codes(tx_5m=201, tx_1h=500, dp5=None) == ["trades_without_price_move"]
    assert _codes(tx_5m=200, tx_1h=500, dp5=0.0) == []
    assert _codes(tx_5m=201, tx_1h=500, dp5=0.001) == []


def test_it_warns_about_an_extreme_price_change() -> None:
    [issue] = metric_warnings(make_metrics(dp5=-0.6), None)

    assert issue == QualityIssue(
        "extreme_price_change", "|dp5| = 0.6 > 0.5 in 5 minutes", "warning"
    )
    assert _codes(dp5=0.5) == []


def test_it_warns_when_a_5m_window_exceeds_its_hour() -> None:
    assert metric_warnings(make_metrics(tx_5m=11, tx_1h=10), None) == (
        QualityIssue("tx_5m_exceeds_1h", "tx_5m = 11 > tx_1h = 10", "warning"),
    )
    assert metric_warnings(make_metrics(vol_5m=10.5, vol_1h=10.0), None) == (
        QualityIssue("volume_5m_exceeds_1h", "vol_5m = 10.5 > vol_1h = 10.0", "warning"),
    )
    assert _codes(tx_5m=10, tx_1h=10, vol_5m=10.0, vol_1h=10.0) == []


def test_it_warns_about_no_kept_pools() -> None:
    assert _codes(pool_count=0) == ["no_kept_pools"]


def test_it_warns_when_the_kept_pool_count_jumps() -> None:
    metrics = make_metrics(pool_count=3)

    assert metric_warnings(metrics, 1) == (
        QualityIssue("pool_count_jump", "kept pool count jumped from 1 to 3", "warning"),
    )
    assert metric_warnings(metrics, 2) == ()
    assert metric_warnings(metrics, None) == ()


@pytest.mark.parametrize(
    ("previous", "current", "jumped"),
    [
        (1, 2, False),  # the usual first external pool
        (10, 12, False),  # +2 but not doubled
        (5, 6, False),
        (0, 1, False),
        (1, 0, False),
        (3, 3, False),
        (1, 3, True),
        (4, 8, True),
        (0, 2, True),
        (3, 1, True),
        (2, 0, True),
        (12, 6, True),
    ],
)
def test_pool_count_jumped_needs_a_change_of_two_and_a_doubling(
    previous: int, current: int, jumped: bool
) -> None:
    assert pool_count_jumped(previous, current) is jumped


def test_warnings_from_real_pairs_reach_the_aggregation() -> None:
    pair = example_pair()
    pair["priceChange"]["m5"] = 60  # dp5 = 0.6

    aggregation = _aggregate([pair], previous_pool_count=3)

    assert [issue.code for issue in aggregation.issues] == [
        "extreme_price_change",
        "pool_count_jump",
    ]
    assert aggregation.critical is False
    assert aggregation.metrics is not None
