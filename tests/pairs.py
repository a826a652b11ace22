"""DexScreener answers in the real shape (tests/data/pair_example.json), for any mint."""

import copy
import json
from pathlib import Path
from typing import Any

import httpx

EXAMPLE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "pair_example.json").read_text()
)


def pair(mint: str, pair_address: str, **changes: Any) -> dict[str, Any]:
    """The example PumpSwap pair, moved to `mint`; `changes` replace top-level keys."""
    data = copy.deepcopy(EXAMPLE)
    data["baseToken"]["address"] = mint
    data["pairAddress"] = pair_address
    data["url"] = f"https://dexscreener.com/solana/{pair_address.lower()}"
    data.update(changes)
    return data


class FakeDexScreener:
    """Answers /tokens/v1 and /token-pairs/v1 from a dict of mint -> pairs, through httpx's
    transport layer; `status` forces an HTTP status for every answer."""

    def __init__(self, pairs: dict[str, list[dict[str, Any]]]) -> None:
        self.pairs = pairs
        self.status = 200
        self.paths: list[str] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.status != 200:
            return httpx.Response(self.status, text="upstream trouble")
        mints = request.url.path.rsplit("/", 1)[-1]
        wanted = mints.split(",")
        answer = [p for mint in wanted for p in self.pairs.get(mint, [])]
        return httpx.Response(200, json=answer)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)
