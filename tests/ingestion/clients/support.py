"""Test data built on real captures (base58 mints, DexScreener pairs) and a fake clock."""

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import base58

PAIR_EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parents[2] / "data" / "pair_example.json").read_text(encoding="utf-8")
)
EXAMPLE_MINT = "5446sW7E8jCzLXnT9npZNfDwBnQugVc3XdfEbqPBpump"
WSOL = "So11111111111111111111111111111111111111112"


def make_mint(seed: int | str) -> str:
    """A valid Solana address, the same for the same seed."""
    return base58.b58encode(hashlib.sha256(f"mint-{seed}".encode()).digest()).decode()


def make_pair(mint: str, pair_address: str | None = None, **overrides: Any) -> dict[str, Any]:
    """The captured PumpSwap pair, moved onto ``mint`` (as base token) and ``pair_address``."""
    pair = copy.deepcopy(PAIR_EXAMPLE)
    address = (
        pair_address or base58.b58encode(hashlib.sha256(f"pair-{mint}".encode()).digest()).decode()
    )
    pair["pairAddress"] = address
    pair["url"] = f"https://dexscreener.com/solana/{address.lower()}"
    pair["baseToken"]["address"] = mint
    pair.update(overrides)
    return pair


class FakeClock:
    """Time that only moves when somebody sleeps."""

    def __init__(self, start: float = 1_772_427_561.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
