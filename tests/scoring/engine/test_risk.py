"""Risk facts -> flags against the settings' thresholds, and each flag's penalty on the score."""

from dataclasses import replace

import pytest

from scoring.engine import Aggregation, ScoringParams, evaluate
from scoring.engine.risk import RISK_FLAGS, RiskFacts, dangerous, risk_flags, risk_penalty

from .builders import V1, make_metrics

CLEAN = RiskFacts(
    mint_authority="",
    freeze_authority="",
    dangerous_extensions=(),
    top10_share=0.2,
    creator_share=0.01,
    creator_launches_7d=0,
)
PARAMS = ScoringParams()
WALLET = "7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU"


def test_clean_facts_raise_no_flag_and_are_complete() -> None:
    assert risk_flags(CLEAN, PARAMS) == ()
    assert CLEAN.complete


@pytest.mark.parametrize(
    ("change", "flag"),
    [
        ({"mint_authority": WALLET}, "mint_authority"),
        ({"freeze_authority": WALLET}, "freeze_authority"),
        ({"dangerous_extensions": ("permanentDelegate",)}, "token2022_danger"),
        ({"top10_share": 0.51}, "top10_concentrated"),
        ({"creator_share": 0.11}, "creator_holds"),
        ({"creator_launches_7d": 3}, "serial_creator"),
    ],
)
def test_each_cause_raises_its_flag(change: dict[str, object], flag: str) -> None:
    assert risk_flags(replace(CLEAN, **change), PARAMS) == (flag,)  # type: ignore[arg-type]


def test_the_thresholds_are_the_settings() -> None:
    facts = replace(CLEAN, top10_share=0.5, creator_share=0.1, creator_launches_7d=2)
    assert risk_flags(facts, PARAMS) == ()  # at the line is not above it; 2 < 3
    strict = replace(PARAMS, risk_top10_share=0.4, risk_creator_share=0.05, risk_serial_launches=2)
    assert risk_flags(facts, strict) == ("top10_concentrated", "creator_holds", "serial_creator")


def test_unknown_facts_raise_no_flag_and_leave_the_check_incomplete() -> None:
    unknown = RiskFacts()
    assert risk_flags(unknown, PARAMS) == ()
    assert not unknown.complete
    assert not replace(CLEAN, top10_share=None).complete


def test_a_default_account_state_is_dangerous_only_when_frozen() -> None:
    names = ["metadataPointer", "defaultAccountState", "tokenMetadata"]
    assert dangerous(names, "frozen") == ("defaultAccountState",)
    assert dangerous(names, "initialized") == ()
    assert dangerous(["metadataPointer", "transferHook", "tokenMetadata"], None) == (
        "transferHook",
    )


def test_penalties_are_off_by_default_and_each_flag_has_its_own() -> None:
    assert risk_penalty(RISK_FLAGS, PARAMS) == {}
    params = replace(PARAMS, penalty_mint_authority=0.2, penalty_serial_creator=0.05)
    assert risk_penalty(["mint_authority", "young", "serial_creator"], params) == {
        "mint_authority": 0.2,
        "serial_creator": 0.05,
    }


def test_a_penalty_comes_off_the_raw_score_and_is_recorded() -> None:
    metrics = make_metrics(
        tx_5m=10, tx_1h=60, vol_5m=100.0, vol_1h=600.0, hours_since_migration=3.0
    )
    aggregation = Aggregation(
        pools=(), metrics=metrics, issues=(), name=None, symbol=None, image_url=None
    )
    params = replace(
        V1, penalty_mint_authority=0.1, penalty_creator_holds=1.0, penalty_serial_creator=1.0
    )
    plain = evaluate(aggregation, params, previous=None, recent_good_smoothed=[])
    flagged = evaluate(
        aggregation,
        params,
        previous=None,
        recent_good_smoothed=[],
        risk_flags=["mint_authority"],
    )
    floored = evaluate(
        aggregation,
        params,
        previous=None,
        recent_good_smoothed=[],
        risk_flags=["mint_authority", "creator_holds", "serial_creator"],
    )

    assert plain.score > 0.1
    assert flagged.score == pytest.approx(plain.score - 0.1)
    assert flagged.smoothed_score == pytest.approx(flagged.score)  # the first value, as is
    assert flagged.metrics["risk_penalty"] == {"mint_authority": 0.1}
    assert flagged.metrics["risk_flags"] == ["mint_authority"]
    assert floored.score == 0.0


def test_penalties_outside_zero_to_one_are_refused() -> None:
    with pytest.raises(ValueError, match="penalty_top10_concentrated"):
        ScoringParams(penalty_top10_concentrated=1.5)
