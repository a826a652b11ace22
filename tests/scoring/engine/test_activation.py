import pytest

from scoring.engine import ScoringParams, activation_passes

from .builders import make_pool

ARBITRAGE = ScoringParams(activation_rule="arbitrage", min_pool_liquidity_usd=100.0)
ANY_POOL = ScoringParams(activation_rule="any_pool", min_pool_liquidity_usd=100.0)
PUMPSWAP = make_pool(pair_address="PS", dex_id="pumpswap", liquidity_usd=5_000.0)
PUMP_AMM = make_pool(pair_address="PA", dex_id="pumpfun-amm", liquidity_usd=5_000.0)
RAYDIUM = make_pool(pair_address="R", dex_id="raydium", liquidity_usd=200.0)
METEORA = make_pool(pair_address="M", dex_id="meteora", liquidity_usd=300.0)
THIN_ORCA = make_pool(pair_address="O", dex_id="orca", liquidity_usd=199.99)
UNKEPT_ORCA = make_pool(pair_address="U", dex_id="orca", liquidity_usd=9_000.0, kept=False)


@pytest.mark.parametrize(
    ("pools", "passes"),
    [
        ((PUMPSWAP, RAYDIUM), True),  # PumpSwap + one external at exactly $200
        ((PUMP_AMM, METEORA), True),  # the other PumpSwap dexId
        ((RAYDIUM, METEORA), True),  # two external pools, no PumpSwap needed
        ((PUMPSWAP,), False),  # PumpSwap alone: nothing to arbitrage against
        ((PUMPSWAP, PUMP_AMM), False),  # two PumpSwap pools are not external
        ((RAYDIUM,), False),  # one external pool alone
        ((PUMPSWAP, THIN_ORCA), False),  # external below activation_min_liquidity_usd
        ((PUMPSWAP, UNKEPT_ORCA), False),  # external pool not kept
        ((RAYDIUM, THIN_ORCA), False),
        ((), False),
    ],
)
def test_the_arbitrage_rule(pools: tuple, passes: bool) -> None:
    assert activation_passes(pools, ARBITRAGE) is passes


def test_the_arbitrage_rule_accepts_an_unkept_pumpswap_pool() -> None:
    thin_pumpswap = make_pool(dex_id="pumpswap", liquidity_usd=50.0, kept=False)

    assert activation_passes([thin_pumpswap, RAYDIUM], ARBITRAGE) is True


@pytest.mark.parametrize(
    ("pools", "passes"),
    [
        ((PUMPSWAP,), True),
        ((RAYDIUM,), True),
        ((THIN_ORCA,), False),
        ((UNKEPT_ORCA,), False),
        ((), False),
    ],
)
def test_the_any_pool_rule(pools: tuple, passes: bool) -> None:
    assert activation_passes(pools, ANY_POOL) is passes


def test_it_follows_activation_min_liquidity_usd() -> None:
    params = ScoringParams(activation_rule="any_pool", activation_min_liquidity_usd=1_000.0)

    assert activation_passes([METEORA], params) is False
    assert activation_passes([PUMPSWAP], params) is True
