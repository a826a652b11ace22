import dataclasses
from decimal import Decimal

import pytest

from scoring.engine import ScoringParams


def test_its_defaults_are_the_design_defaults() -> None:
    assert dataclasses.asdict(ScoringParams()) == {
        "scoring_model_active": "hybrid_momentum_v2",
        "w_tx": 0.35,
        "w_vol": 0.35,
        "w_fresh": 0.15,
        "w_oi": 0.15,
        "ewma_alpha": 0.3,
        "freshness_threshold_hours": 6.0,
        "min_score": 0.3,
        "min_pool_liquidity_usd": 500.0,
        "excluded_dex_ids": ("pumpfun", "launchlab"),
        "allowed_quote_symbols": ("SOL", "WSOL", "USDC", "USD1"),
        "activation_min_liquidity_usd": 200.0,
        "activation_rule": "arbitrage",
        "weight_s": 0.35,
        "weight_l": 0.25,
        "weight_m": 0.20,
        "weight_t": 0.20,
        "young_minutes": 10.0,
        "full_activity_tx_5m": 50.0,
        "full_activity_vol_5m_usd": 5000.0,
        "thin_tx_5m": 5.0,
        "accel_saturation": 8.0,
        "implausible_liquidity_factor": 20.0,
        "rug_liquidity_fraction": 0.2,
        "rug_min_peak_usd": 5000.0,
        "rug_price_drop": 0.9,
        "risk_top10_share": 0.5,
        "risk_creator_share": 0.1,
        "risk_serial_launches": 3.0,
        "penalty_mint_authority": 0.0,
        "penalty_freeze_authority": 0.0,
        "penalty_token2022_danger": 0.0,
        "penalty_top10_concentrated": 0.0,
        "penalty_creator_holds": 0.0,
        "penalty_serial_creator": 0.0,
    }


def test_it_takes_the_values_a_settings_row_hands_over() -> None:
    params = ScoringParams(
        w_tx=Decimal("0.5"),  # type: ignore[arg-type]
        ewma_alpha=1,
        excluded_dex_ids="pumpfun, launchlab,,moonshot",
        allowed_quote_symbols=["SOL"],
    )

    assert params.w_tx == 0.5
    assert type(params.w_tx) is float
    assert params.ewma_alpha == 1.0
    assert params.excluded_dex_ids == ("pumpfun", "launchlab", "moonshot")
    assert params.allowed_quote_symbols == ("SOL",)


def test_it_is_hashable() -> None:
    assert hash(ScoringParams()) == hash(ScoringParams())


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("w_tx", -0.1, "w_tx must be a finite number >= 0, got -0.1"),
        ("weight_t", float("nan"), "weight_t must be a finite number >= 0, got nan"),
        ("min_pool_liquidity_usd", float("inf"), "min_pool_liquidity_usd must be a finite"),
        ("ewma_alpha", 0.0, "ewma_alpha must be in \\(0, 1\\], got 0.0"),
        ("ewma_alpha", 1.5, "ewma_alpha must be in \\(0, 1\\], got 1.5"),
        ("min_score", float("nan"), "min_score must be finite, got nan"),
        ("activation_rule", "always", "activation_rule must be one of"),
    ],
)
def test_it_refuses_invalid_settings(field: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ScoringParams(**{field: value})  # type: ignore[arg-type]
