import math

import pytest

from scoring.engine import (
    HYBRID_MOMENTUM,
    LEGACY,
    MODELS,
    Component,
    ScoringModel,
    ScoringParams,
    UnknownModelError,
    get_model,
    register_model,
)

from .builders import V1, make_metrics

# tx_accel (10/5)/(60/60) = 2; vol_momentum 100/(600/12) = 2; freshness (6-3)/6 = 0.5;
# imbalance (6-4)/10 = 0.2
ROUND_METRICS = make_metrics(
    tx_5m=10, tx_1h=60, vol_5m=100.0, vol_1h=600.0, buys_5m=6, sells_5m=4, hours_since_migration=3.0
)


def test_it_registers_the_two_models() -> None:
    assert sorted(MODELS) == ["hybrid_momentum", "hybrid_momentum_v2", "legacy"]
    assert get_model("hybrid_momentum") == HYBRID_MOMENTUM
    assert get_model("legacy") == LEGACY


def test_hybrid_momentum_computes_its_four_components() -> None:
    components = HYBRID_MOMENTUM.compute(ROUND_METRICS, V1)

    assert components == pytest.approx(
        {"tx_accel": 2.0, "vol_momentum": 2.0, "token_freshness": 0.5, "orderflow_imbalance": 0.2}
    )


def test_hybrid_momentum_combines_with_equal_default_weights() -> None:
    model = HYBRID_MOMENTUM
    params = V1

    score = model.combine(model.compute(ROUND_METRICS, params), params)

    # 0.25 * (2 + 2 + 0.5 + 0.2) = 1.175
    assert score == pytest.approx(1.175)


def test_hybrid_momentum_uses_each_weight() -> None:
    params = ScoringParams(w_tx=1.0, w_vol=0.0, w_fresh=2.0, w_oi=-0.0)
    components = {
        "tx_accel": 3.0,
        "vol_momentum": 5.0,
        "token_freshness": 0.25,
        "orderflow_imbalance": -1.0,
    }

    # 1*3 + 0*5 + 2*0.25 + 0*(-1) = 3.5
    assert HYBRID_MOMENTUM.combine(components, params) == pytest.approx(3.5)


def test_legacy_scores_the_example_pair() -> None:
    metrics = make_metrics(L_tot=36295.05, tx_5m=953, dp5=0.035, dp15=1.045)
    model = LEGACY
    params = ScoringParams(scoring_model_active="legacy")

    components = model.compute(metrics, params)
    score = model.combine(components, params)

    # s = ln(1.35)/ln 11 = 0.1251533; l = (log10 36295.05 - 4)/2 = 0.2799237
    # m = 0.035/1.045 = 0.0334928; t = 190.6/300 = 0.6353333
    expected = {
        "s": math.log(1.35) / math.log(11),
        "l": (math.log10(36295.05) - 4) / 2,
        "m": 0.035 / 1.045,
        "t": 190.6 / 300,
    }
    assert components == pytest.approx(expected)
    # 0.35*0.1251533 + 0.25*0.2799237 + 0.20*0.0334928 + 0.20*0.6353333 = 0.2475498
    assert score == pytest.approx(0.2475498237)


def test_legacy_scores_zero_metrics_as_zero() -> None:
    model = LEGACY
    params = V1

    components = model.compute(make_metrics(), params)

    assert components == {"s": 0.0, "l": 0.0, "m": 0.0, "t": 0.0}
    assert model.combine(components, params) == 0.0


def test_get_model_names_the_known_models_when_the_name_is_unknown() -> None:
    with pytest.raises(UnknownModelError) as raised:
        get_model("moonshot")

    assert str(raised.value) == (
        "unknown scoring model 'moonshot'; registered models: "
        "hybrid_momentum, hybrid_momentum_v2, legacy"
    )
    assert raised.value.name == "moonshot"


_FLAT = ScoringModel(
    name="flat",
    label="Flat",
    components=(Component("one", "One", "w_tx", "1", lambda m, p: 1.0),),
)


def test_register_model_adds_a_model_and_refuses_a_silent_overwrite() -> None:
    try:
        register_model(_FLAT)

        assert get_model("flat") == _FLAT
        with pytest.raises(ValueError, match="'flat' is already registered"):
            register_model(_FLAT)
        register_model(_FLAT, replace=True)
    finally:
        MODELS.pop("flat", None)
