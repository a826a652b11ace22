"""Create frames as PumpPortal really sends them (the captures, read in place), and the bounds
that keep a launcher's text and numbers within what moon stores."""

import asyncio
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ingestion.clients.pumpportal import (
    NAME_MAX,
    SYMBOL_MAX,
    URI_MAX,
    Creation,
    ListenerState,
    parse_frame,
)

from .support import EXAMPLE_MINT
from .test_pumpportal_listener import NOW, Feed, Recorder, listen, migration_frame, sends

CAPTURES = Path("/work/shared/research/captures")
if not CAPTURES.is_dir():
    pytest.skip(f"needs the PumpPortal captures in {CAPTURES}", allow_module_level=True)


def captured(name: str) -> list[str]:
    frames = json.loads((CAPTURES / f"pumpportal-{name}.json").read_text(encoding="utf-8"))
    return [frame["raw"] for frame in frames["frames"]]


def creates(name: str) -> list[dict[str, Any]]:
    return [json.loads(raw) for raw in captured(name) if '"txType":"create"' in raw]


def test_it_reads_every_field_of_a_captured_create() -> None:
    (frame,) = [raw for raw in captured("frames-fritzheider-1") if '"create"' in raw]

    assert parse_frame(frame) == Creation(
        mint="97QUsKyZ1tDbBkWzowCixaZHPfMHz3ME8LQzwa9Upump",
        signature=(
            "4LhzBq8yMuww4fPUuyHccjBUbzVHzS6EqxD3PYELMtbMPGzPsAUXBNbuFWyBmkx97UJT7FcLy6Fb31dyfARNhgHc"
        ),
        creator="HpARLxzXXfsssHUqzKE1mDC7CNF19vwQArdAvKSbwoF3",
        bonding_curve="Cm7tEVsTyyTXtCqsAsEg5SBB3sjoqUbJEdb69vUwXqrj",
        initial_buy=Decimal("27534883.660147"),
        initial_buy_sol=Decimal("0.790123455"),
        name="Smooth Like Butter",
        symbol="SLB",
        uri=json.loads(frame)["uri"],
        pool="pump",
    )


def test_it_keeps_unicode_names_and_whole_number_buys_exactly() -> None:
    frames = {raw["mint"]: raw for raw in creates("session-mcbot-1")}
    squirrel = parse_frame(json.dumps(frames["BLMVGmZCG7Ytq6PMBK5n2cyXXBHHtvTqCcEb5Ro1pump"]))
    horse = parse_frame(json.dumps(frames["YLiuVxY1f2A7ED37h6BkG2Z2eoC1SCLn95oeWY9pump"]))
    diamond = parse_frame(json.dumps(frames["jycKDXfRpBRGfgrqULUfyqPk2xqfAZ7WGiwNMj7pump"]))

    assert isinstance(squirrel, Creation)
    assert isinstance(horse, Creation)
    assert isinstance(diamond, Creation)
    assert (squirrel.name, squirrel.symbol) == ("The Übermensch Squirrel", "リス")
    assert (horse.initial_buy, horse.initial_buy_sol) == (
        Decimal("1788384.000000"),
        Decimal("0.050084894"),
    )
    assert diamond.symbol == "💎"  # the blanks around it are not part of a symbol


def test_it_reads_a_zero_buy_a_whole_curve_buy_and_a_bonk_launch() -> None:
    frames = {raw["mint"]: raw for raw in creates("session-mcbot-1")}

    zero = parse_frame(json.dumps(frames["GWtb1VBPiJvZcWTD796XPfaqZL5gDCsRkRB9XfxPQEof"]))
    whale = parse_frame(json.dumps(frames["aXZ7KZFHgf2TKfd3z5Y5rnx5e1jDqtKKgFE7f7bpump"]))
    bonk = parse_frame(json.dumps(frames["BH7Z4zgBNvRBTQkmcodrcSU7tBXbvXcFSQh16uUYbonk"]))

    assert isinstance(zero, Creation)
    assert isinstance(whale, Creation)
    assert isinstance(bonk, Creation)
    assert (zero.initial_buy, zero.initial_buy_sol) == (Decimal("0E-6"), Decimal("0E-9"))
    assert (whale.initial_buy, whale.initial_buy_sol) == (
        Decimal("793100000.000000"),
        Decimal("85.005359057"),
    )
    assert (bonk.pool, bonk.bonding_curve, bonk.creator) == (
        "bonk",
        None,
        "2ZxZSt4LxpFNVA6TByH7fQdvAthatxEQfLjACm2khqmr",
    )


def test_every_create_of_a_whole_session_parses() -> None:
    frames = creates("session-jouleka-1")

    parsed = [parse_frame(json.dumps(frame)) for frame in frames]

    assert len(parsed) == 198
    assert all(isinstance(creation, Creation) for creation in parsed)
    # USDC-paired launches come under the USDC mint, without name, symbol or URI.
    usdc = [c for c in parsed if c.mint == "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"]
    assert [(c.name, c.symbol, c.uri, c.initial_buy) for c in usdc] == [("", "", "", 0)] * 10
    assert all(c.creator is not None and c.signature is not None for c in parsed)


CREATE = {
    "signature": "5" * 10,
    "mint": EXAMPLE_MINT,
    "traderPublicKey": "not-a-wallet",
    "txType": "create",
    "bondingCurveKey": 7,
}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, {"signature": None, "creator": None, "bonding_curve": None}),
        (
            {"name": "N" * 300, "symbol": "S" * 100},
            {"name": "N" * NAME_MAX, "symbol": "S" * SYMBOL_MAX},
        ),
        ({"name": " Tab\tand\x00nul \n", "symbol": 42}, {"name": "Tabandnul", "symbol": ""}),
        ({"uri": "https://x/" + "a" * URI_MAX}, {"uri": ""}),
        ({"initialBuy": -1, "solAmount": True}, {"initial_buy": None, "initial_buy_sol": None}),
        (
            {"initialBuy": 2_000_000_000, "solAmount": "1.5"},
            {"initial_buy": None, "initial_buy_sol": None},
        ),
        ({"initialBuy": 1.0000004}, {"initial_buy": Decimal("1.000000")}),
    ],
    ids=[
        "invalid-keys",
        "long-text",
        "control-characters",
        "long-uri",
        "bad-amounts",
        "too-big",
        "rounded",
    ],
)
def test_it_bounds_and_checks_what_a_launcher_sends(
    changes: dict[str, Any], expected: dict[str, Any]
) -> None:
    creation = parse_frame(json.dumps({**CREATE, **changes}))

    assert isinstance(creation, Creation)
    assert {name: getattr(creation, name) for name in expected} == expected


def test_nan_and_infinite_amounts_are_dropped() -> None:
    frame = '{"mint": "%s", "txType": "create", "initialBuy": NaN, "solAmount": 1e999}'

    creation = parse_frame(frame % EXAMPLE_MINT)

    assert creation == Creation(mint=EXAMPLE_MINT)


def test_the_listener_hands_over_each_creation_stamped_with_its_arrival() -> None:
    create = next(raw for raw in captured("frames-unidentified-1") if '"create"' in raw)
    feed = Feed(sends(create, migration_frame(EXAMPLE_MINT, "sig-1")))
    recorder = Recorder(feed, stop_after=1)
    heard: list[Creation] = []

    async def on_creation(creation: Creation) -> None:
        heard.append(creation)

    listener = asyncio.run(listen(feed, recorder, on_creation=on_creation))

    assert [(c.mint, c.creator, c.seen_at) for c in heard] == [
        (
            "4233nw91CWLQXpgMBpNg6YP3PCW7ZyUVHpZTLyo7pump",
            "8AKsAJ2YTS3cMbeFidfvgMe3AK7ba6FepRcT42NPanYX",
            NOW,
        )
    ]
    assert listener.state == ListenerState(
        disconnected_since=NOW, last_frame_at=NOW, migrations_seen=1, creations_seen=1
    )
