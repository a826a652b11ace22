"""The Solana RPC's holder methods over real HTTP: the 20 largest accounts, what owns them
(pools, curve, burn address, people), concentration and creator share as a risk panel reads
them, token accounts by owner, commitment, and the shapes of mainnet answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ingestion.sandbox import SandboxHandle, running_sandbox
from ingestion.sandbox.chain import FINALITY_MS, slot_at
from ingestion.sandbox.keys import (
    INCINERATOR,
    PUMP_AMM_PROGRAM,
    PUMP_PROGRAM,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    WSOL_MINT,
    ata,
)
from tests.ingestion.sandbox.conftest import QUIET, START_MS
from tests.ingestion.sandbox.solana import (
    CONFIRMED,
    PARSED,
    assert_shaped_like,
    call,
    capture,
    mint_value,
    result,
    value,
)

pytestmark = pytest.mark.timeout(30)


def test_largest_accounts_are_the_20_biggest_token_accounts(
    chain: SandboxHandle, tokens: Any
) -> None:
    token = tokens["plain"]
    truth = chain.holders(token["mint"])

    largest = value(chain, "getTokenLargestAccounts", token["mint"], {"commitment": "confirmed"})
    pairs = httpx.get(f"{chain.http_url}/token-pairs/v1/solana/{token['mint']}").json()

    assert [(a["address"], int(a["amount"])) for a in largest] == [
        (row["address"], row["amount"]) for row in truth["accounts"][:20]
    ]
    assert [list(a) for a in largest] == [
        ["address", "amount", "decimals", "uiAmount", "uiAmountString"]
    ] * 20
    assert [int(a["amount"]) for a in largest] == sorted(
        (int(a["amount"]) for a in largest), reverse=True
    )
    vault = next(row for row in truth["accounts"] if row["role"] == "pool_vault")
    pool = next(p for p in pairs if p["dexId"] == "pumpswap")
    assert vault["owner"] == pool["pairAddress"]
    assert vault["address"] == ata(pool["pairAddress"], token["mint"], TOKEN_2022_PROGRAM)
    assert abs(vault["amount"] / 1e6 - pool["liquidity"]["base"]) <= 1


def owners_of(chain: SandboxHandle, addresses: list[str]) -> list[dict[str, Any] | None]:
    return list(value(chain, "getMultipleAccounts", addresses, PARSED))


def test_owners_tell_pools_curves_and_burns_from_wallets(chain: SandboxHandle, tokens: Any) -> None:
    token = tokens["burn"]
    truth = {row["address"]: row for row in chain.holders(token["mint"])["accounts"]}
    pools = {
        p["dexId"]: p["pairAddress"]
        for p in httpx.get(f"{chain.http_url}/token-pairs/v1/solana/{token['mint']}").json()
    }

    accounts = owners_of(chain, list(truth))
    owners = [a["data"]["parsed"]["info"]["owner"] for a in accounts if a is not None]
    owner_accounts = dict(zip(owners, owners_of(chain, owners), strict=True))

    assert len(owners) == len(truth)
    assert owner_accounts[pools["pumpswap"]]["owner"] == PUMP_AMM_PROGRAM
    assert owner_accounts[pools["pumpfun"]]["owner"] == PUMP_PROGRAM
    assert owner_accounts[INCINERATOR]["owner"] == SYSTEM_PROGRAM
    roles = {
        truth[ata(owner, token["mint"], TOKEN_2022_PROGRAM)]["role"]: account
        for owner, account in owner_accounts.items()
    }
    assert roles["pool_authority"] is None  # a program address that holds no data
    for role in ("holder", "creator"):
        assert roles[role]["owner"] == SYSTEM_PROGRAM
        assert roles[role]["data"] == ["", "base64"]
        assert roles[role]["space"] == 0
    assert truth[ata(INCINERATOR, token["mint"], TOKEN_2022_PROGRAM)]["amount"] == 2 * 10**13


def top10_share(chain: SandboxHandle, mint: str) -> float:
    """A risk panel's reading: the 10 largest accounts whose owner is a person, over supply
    (read "confirmed": the ground truth is now)."""
    largest = value(chain, "getTokenLargestAccounts", mint, {"commitment": "confirmed"})
    owners = [
        a["data"]["parsed"]["info"]["owner"]
        for a in owners_of(chain, [x["address"] for x in largest])
    ]
    kinds = owners_of(chain, owners)
    people = [
        int(row["amount"])
        for row, owner, kind in zip(largest, owners, kinds, strict=True)
        if kind is not None and kind["owner"] == SYSTEM_PROGRAM and owner != INCINERATOR
    ]
    return sum(people[:10]) / int(value(chain, "getTokenSupply", mint)["amount"])


def test_concentration_and_creator_share_read_as_the_ground_truth(
    chain: SandboxHandle, tokens: Any
) -> None:
    concentrated, spread, kept = tokens["concentrated"], tokens["plain"], tokens["creator"]
    mint = kept["mint"]

    accounts = value(chain, "getTokenAccountsByOwner", kept["creator"], {"mint": mint}, PARSED)
    creator_amount = int(accounts[0]["account"]["data"]["parsed"]["info"]["tokenAmount"]["amount"])
    supply = int(value(chain, "getTokenSupply", mint)["amount"])

    assert (
        top10_share(chain, concentrated["mint"])
        == chain.holders(concentrated["mint"])["top10_share"]
    )
    assert top10_share(chain, concentrated["mint"]) > 0.5
    assert top10_share(chain, spread["mint"]) < 0.5
    assert creator_amount / supply == chain.holders(mint)["creator_share"]
    assert creator_amount / supply > 0.1
    assert [a["pubkey"] for a in accounts] == [ata(kept["creator"], mint, TOKEN_2022_PROGRAM)]


def test_token_accounts_by_owner_filter_by_mint_or_program(
    chain: SandboxHandle, tokens: Any
) -> None:
    legacy, modern = tokens["legacy"], tokens["plain"]
    pool = next(
        r["owner"] for r in chain.holders(legacy["mint"])["accounts"] if r["role"] == "pool_vault"
    )

    by_spl = value(chain, "getTokenAccountsByOwner", pool, {"programId": TOKEN_PROGRAM}, PARSED)
    by_2022 = value(
        chain, "getTokenAccountsByOwner", pool, {"programId": TOKEN_2022_PROGRAM}, PARSED
    )
    stranger = value(
        chain, "getTokenAccountsByOwner", modern["creator"], {"mint": legacy["mint"]}, PARSED
    )
    unknown = call(chain, "getTokenAccountsByOwner", pool, {"mint": INCINERATOR}, PARSED)
    bad = call(chain, "getTokenAccountsByOwner", pool, {"programId": SYSTEM_PROGRAM}, PARSED)

    mints = sorted(a["account"]["data"]["parsed"]["info"]["mint"] for a in by_spl)
    assert mints == sorted([legacy["mint"], WSOL_MINT])
    native = next(a["account"] for a in by_spl if a["pubkey"] == ata(pool, WSOL_MINT))
    assert native["data"]["parsed"]["info"]["isNative"] is True
    assert (
        native["lamports"]
        == int(native["data"]["parsed"]["info"]["tokenAmount"]["amount"]) + 2_039_280
    )
    assert by_2022 == []
    assert stranger == []
    assert unknown["error"] == {"code": -32602, "message": "Invalid param: could not find account"}
    assert bad["error"] == {
        "code": -32602,
        "message": "Invalid param: unrecognized Token program id",
    }


def test_a_serial_creator_holds_an_account_of_each_launch(chain: SandboxHandle) -> None:
    creator = max(chain.creators(), key=lambda c: len(c["launches"]))

    both = [
        a["account"]["data"]["parsed"]["info"]["mint"]
        for program in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM)
        for a in value(
            chain, "getTokenAccountsByOwner", creator["creator"], {"programId": program}, PARSED
        )
    ]

    assert len(creator["launches"]) >= 2
    assert sorted(both) == sorted(launch["mint"] for launch in creator["launches"])


def test_commitment_decides_what_a_fresh_graduation_shows() -> None:
    with running_sandbox(QUIET) as sandbox:
        token = sandbox.migrate_now()
        vault = next(
            r["address"]
            for r in sandbox.holders(token["mint"])["accounts"]
            if r["role"] == "pool_vault"
        )

        finalized = result(sandbox, "getAccountInfo", vault, PARSED)
        confirmed = result(sandbox, "getAccountInfo", vault, CONFIRMED)
        ahead = call(
            sandbox, "getAccountInfo", vault, {**CONFIRMED, "minContextSlot": slot_at(START_MS) + 5}
        )

    assert finalized == {
        "context": {"apiVersion": "3.1.9", "slot": slot_at(START_MS - FINALITY_MS)},
        "value": None,
    }
    assert confirmed["context"]["slot"] == slot_at(START_MS)
    pool = next(p["pair_address"] for p in token["pools"] if p["dex_id"] == "pumpswap")
    assert confirmed["value"]["data"]["parsed"]["info"]["owner"] == pool
    assert ahead["error"] == {
        "code": -32016,
        "message": "Minimum context slot has not been reached",
        "data": {"contextSlot": slot_at(START_MS)},
    }


def test_the_answers_are_shaped_like_the_captured_ones(chain: SandboxHandle, tokens: Any) -> None:
    legacy, fee = tokens["legacy"], tokens["transferFeeConfig"]
    creator = legacy["creator"]

    assert_shaped_like(
        call(chain, "getAccountInfo", legacy["mint"], PARSED), capture("getAccountInfo-jouleka-1")
    )
    flux = capture("getAccountInfo-p2p-org-1")["result"]["value"]["data"]["parsed"]["info"]
    ours = mint_value(chain, fee)["data"]["parsed"]["info"]["extensions"][1]
    assert_shaped_like(ours, flux["extensions"][0])
    assert_shaped_like(
        call(chain, "getTokenSupply", legacy["mint"]), capture("getTokenSupply-jouleka-1")
    )
    assert_shaped_like(
        call(chain, "getTokenLargestAccounts", legacy["mint"]),
        capture("getTokenLargestAccounts-sava-software-1"),
    )
    by_owner = call(chain, "getTokenAccountsByOwner", creator, {"mint": legacy["mint"]}, PARSED)
    assert_shaped_like(by_owner, capture("getTokenAccountsByOwner-unidentified-1"))
    assert by_owner["result"]["value"][0]["account"]["space"] == 165
