"""Accounts as getAccountInfo, getMultipleAccounts, getTokenAccountsByOwner, getTokenSupply and
getTokenLargestAccounts return them, read off the chain at one instant.

jsonParsed decodes mints and token accounts (both token programs) and falls back to base64 for
everything else (the bonding curve, pools, wallets), as a node does; the bytes and the parsed
view come from the same values (layouts.py), so `space` and `lamports` always agree.
"""

from __future__ import annotations

import base64
import math
from random import Random
from typing import Any

from ingestion.sandbox.book import DECIMALS, SUPPLY, TokenAccount, TokenBook
from ingestion.sandbox.chain import Chain, epoch_of, slot_at
from ingestion.sandbox.keys import (
    ASSOCIATED_TOKEN_PROGRAM,
    COMPUTE_BUDGET_PROGRAM,
    MEMO_PROGRAM,
    PUMP_AMM_PROGRAM,
    PUMP_PROGRAM,
    RENT_SYSVAR,
    SYSTEM_PROGRAM,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    WSOL_MINT,
    key_bytes,
    lp_mint_of,
    pool_bump_of,
    random_address,
)
from ingestion.sandbox.layouts import (
    bonding_curve_bytes,
    mint_bytes,
    pool_bytes,
    rent_exempt_lamports,
    token_account_bytes,
)
from ingestion.sandbox.life import CURVE_SOL, CURVE_TOKENS
from ingestion.sandbox.txbuild import PROGRAM_NAMES, token_amount

U64_MAX = 2**64 - 1
PROGRAM_LAMPORTS = 1_141_440
EXECUTABLES = {
    SYSTEM_PROGRAM, TOKEN_PROGRAM, TOKEN_2022_PROGRAM, ASSOCIATED_TOKEN_PROGRAM, MEMO_PROGRAM,
    COMPUTE_BUDGET_PROGRAM, PUMP_PROGRAM, PUMP_AMM_PROGRAM, RENT_SYSVAR,
}  # fmt: skip
LARGEST_LIMIT = 20
WSOL_RESERVE = rent_exempt_lamports(165)
TRANSFER_FEE_BPS = (100, 300, 500, 1000)


class AccountError(ValueError):
    """A parameter a node refuses with -32602 (the message is the node's)."""


def wallet_lamports(address: str) -> int:
    return Random(f"lamports:{address}").randrange(5 * 10**7, 4 * 10**10)


def lamports_of(chain: Chain, address: str) -> int:
    """An account's lamports as transactions show them before they run."""
    if address in EXECUTABLES:
        return PROGRAM_LAMPORTS
    kind = chain.entities.get(address, ("wallet", ""))[0]
    return {"token": WSOL_RESERVE, "wsol": WSOL_RESERVE, "mint": 1_461_600}.get(
        kind, wallet_lamports(address)
    )


def _value(owner: str, data: bytes, parsed: dict[str, Any] | None, encoding: str) -> dict[str, Any]:
    space = len(data)
    if encoding == "jsonParsed" and parsed is not None:
        shown: Any = {"parsed": parsed, "program": PROGRAM_NAMES[owner], "space": space}
    else:
        shown = [base64.b64encode(data).decode(), "base64"]
    return {
        "data": shown,
        "executable": False,
        "lamports": rent_exempt_lamports(space),
        "owner": owner,
        "rentEpoch": U64_MAX,
        "space": space,
    }


def account_value(chain: Chain, address: str, at_ms: int, encoding: str) -> dict[str, Any] | None:
    """getAccountInfo's `value` for `address` at `at_ms`; None when no such account exists."""
    kind, mint = chain.entities.get(address, ("", ""))
    book = chain.book(mint) if mint else None
    if book is not None and at_ms >= book.launch.created_ms:
        found = _coin_account(book, kind, address, at_ms, encoding)
        if found is not None or kind:
            return found
    if address in chain.wallets:
        value = _value(SYSTEM_PROGRAM, b"", None, "base64")
        value["lamports"] = wallet_lamports(address)
        return value
    return None


def _coin_account(
    book: TokenBook, kind: str, address: str, at_ms: int, encoding: str
) -> dict[str, Any] | None:
    if kind == "mint":
        info = mint_info(book, at_ms)
        return _value(book.program_id, mint_bytes(info), {"info": info, "type": "mint"}, encoding)
    if kind == "token":
        account = next((a for a in book.live_accounts(at_ms) if a.address == address), None)
        if account is None:
            return None
        return token_account_value(book, account, book.balances(at_ms)[address], encoding)
    if kind == "curve":
        return _value(PUMP_PROGRAM, _curve_bytes(book, at_ms), None, encoding)
    if not book.graduated_by(at_ms) or book.pool is None:
        return None
    if kind == "wsol":
        return wsol_vault_value(book, at_ms, encoding)
    if kind == "pool":
        return _value(PUMP_AMM_PROGRAM, _pool_bytes(book), None, encoding)
    for pool, program in book.side_pools:
        if pool.pair_address == address and pool.created_ms <= at_ms:
            return _value(
                program, bytes(8) + key_bytes(book.mint) + key_bytes(WSOL_MINT), None, encoding
            )
    return None


def mint_info(book: TokenBook, at_ms: int) -> dict[str, Any]:
    traits = book.traits
    info: dict[str, Any] = {"decimals": DECIMALS}
    if traits.extensions:
        info["extensions"] = mint_extensions(book)
    info["freezeAuthority"] = book.creator if traits.freeze_authority else None
    info["isInitialized"] = True
    info["mintAuthority"] = book.creator if traits.mint_authority else None
    info["supply"] = str(book.supply(at_ms))
    return info


def mint_extensions(book: TokenBook) -> list[dict[str, Any]]:
    """The mint's extensions in jsonParsed form: pump.fun's metadata pair, plus the dangerous
    one the token may carry, its authority the creator."""
    launch, creator = book.launch, book.creator
    rng = Random(f"extensions:{book.mint}")
    states: dict[str, dict[str, Any] | None] = {
        "metadataPointer": {"authority": None, "metadataAddress": book.mint},
        "tokenMetadata": {
            "additionalMetadata": [],
            "mint": book.mint,
            "name": launch.name,
            "symbol": launch.symbol,
            "updateAuthority": None,
            "uri": launch.uri,
        },
        "permanentDelegate": {"delegate": creator},
        "transferHook": {"authority": creator, "programId": random_address(rng)},
        "defaultAccountState": {"accountState": "frozen"},
        "nonTransferable": None,
    }
    fee = {
        "epoch": epoch_of(slot_at(launch.created_ms)),
        "maximumFee": U64_MAX,
        "transferFeeBasisPoints": rng.choice(TRANSFER_FEE_BPS),
    }
    states["transferFeeConfig"] = {
        "newerTransferFee": fee,
        "olderTransferFee": fee,
        "transferFeeConfigAuthority": creator,
        "withdrawWithheldAuthority": creator,
        "withheldAmount": 0,
    }
    out = []
    for name in book.traits.extensions:
        state = states[name]
        out.append({"extension": name} if state is None else {"extension": name, "state": state})
    return out


def _account_extensions(book: TokenBook) -> list[dict[str, Any]]:
    """What an associated token account of this mint carries under Token-2022."""
    out: list[dict[str, Any]] = [{"extension": "immutableOwner"}]
    extension = book.traits.extension
    if extension == "transferFeeConfig":
        out.append({"extension": "transferFeeAmount", "state": {"withheldAmount": 0}})
    elif extension == "nonTransferable":
        out.append({"extension": "nonTransferableAccount"})
    elif extension == "transferHook":
        out.append({"extension": "transferHookAccount", "state": {"transferring": False}})
    return out


def token_account_value(
    book: TokenBook, account: TokenAccount, amount: int, encoding: str
) -> dict[str, Any]:
    token_2022 = book.program_id == TOKEN_2022_PROGRAM
    info: dict[str, Any] = {}
    if token_2022:
        info["extensions"] = _account_extensions(book)
    info["isNative"] = False
    info["mint"] = book.mint
    info["owner"] = account.owner
    info["state"] = "frozen" if account.frozen else "initialized"
    info["tokenAmount"] = token_amount(amount, DECIMALS)
    data = token_account_bytes(info, token_2022)
    return _value(book.program_id, data, {"info": info, "type": "account"}, encoding)


def wsol_vault_value(book: TokenBook, at_ms: int, encoding: str) -> dict[str, Any]:
    """The pool's wrapped-SOL vault: a native account, its lamports the SOL plus its reserve."""
    assert book.pool is not None
    amount = book.quote_lamports(at_ms)
    info = {
        "isNative": True,
        "mint": WSOL_MINT,
        "owner": book.pool,
        "rentExemptReserve": token_amount(WSOL_RESERVE, 9),
        "state": "initialized",
        "tokenAmount": token_amount(amount, 9),
    }
    value = _value(
        TOKEN_PROGRAM, token_account_bytes(info, False), {"info": info, "type": "account"}, encoding
    )
    value["lamports"] = amount + WSOL_RESERVE
    return value


def _curve_bytes(book: TokenBook, at_ms: int) -> bytes:
    """Reserves follow the curve's sale; a graduated curve is complete and empty."""
    if book.graduated_by(at_ms):
        return bonding_curve_bytes(
            virtual_tokens=0, virtual_sol=0, real_tokens=0, real_sol=0, complete=True,
            creator=book.creator,
        )  # fmt: skip
    left = book.balances(at_ms).get(book.accounts[0].address, 0)
    sold = SUPPLY - left
    virtual_tokens = round(CURVE_TOKENS * 10**DECIMALS) - sold
    virtual_sol = round(CURVE_SOL * CURVE_TOKENS * 10**DECIMALS / virtual_tokens * 1e9)
    return bonding_curve_bytes(
        virtual_tokens=virtual_tokens, virtual_sol=virtual_sol,
        real_tokens=max(0, book.sale() - sold), real_sol=virtual_sol - round(CURVE_SOL * 1e9),
        complete=False, creator=book.creator,
    )  # fmt: skip


def _pool_bytes(book: TokenBook) -> bytes:
    assert book.pool is not None
    assert book.pool_authority is not None
    assert book.base_vault is not None
    assert book.quote_vault is not None
    base = book.graduation_base()
    quote = book.quote_lamports(book.migrated_ms or 0)
    return pool_bytes(
        bump=pool_bump_of(book.mint)[1], creator=book.pool_authority, base_mint=book.mint,
        quote_mint=WSOL_MINT, lp_mint=lp_mint_of(book.pool), base_vault=book.base_vault,
        quote_vault=book.quote_vault, lp_supply=math.isqrt(base * quote),
        coin_creator=book.creator,
    )  # fmt: skip


def supply_value(book: TokenBook, at_ms: int) -> dict[str, Any]:
    return token_amount(book.supply(at_ms), DECIMALS)


def largest_accounts(book: TokenBook, at_ms: int) -> list[dict[str, Any]]:
    """The 20 largest token accounts of the mint (accounts, not owners), largest first."""
    return [
        {"address": account.address, **token_amount(amount, DECIMALS)}
        for account, amount in book.holders(at_ms)[:LARGEST_LIMIT]
    ]


def accounts_by_owner(
    chain: Chain, owner: str, *, mint: str | None, program: str | None, at_ms: int, encoding: str
) -> list[dict[str, Any]]:
    """getTokenAccountsByOwner: by mint (either token program) or by program id, whose
    Tokenkeg list leaves Token-2022 accounts out."""
    if program is not None and program not in (TOKEN_PROGRAM, TOKEN_2022_PROGRAM):
        raise AccountError("Invalid param: unrecognized Token program id")
    found: list[tuple[str, dict[str, Any]]] = []
    if mint == WSOL_MINT:
        return _wsol_of(chain, owner, at_ms, encoding)
    if mint is not None:
        book = chain.book(mint)
        if book is None or at_ms < book.launch.created_ms:
            raise AccountError("Invalid param: could not find account")
        books = [book]
    else:
        books = [b for m in chain.mints_held_by(owner) if (b := chain.book(m)) is not None]
        books = [b for b in books if b.program_id == program]
    for book in books:
        amounts = book.balances(at_ms)
        for account in book.live_accounts(at_ms):
            if account.owner == owner:
                value = token_account_value(book, account, amounts[account.address], encoding)
                found.append((account.address, value))
    rows = [{"account": value, "pubkey": address} for address, value in found]
    if program == TOKEN_PROGRAM:
        rows += _wsol_of(chain, owner, at_ms, encoding)
    return sorted(rows, key=lambda row: row["pubkey"])


def _wsol_of(chain: Chain, owner: str, at_ms: int, encoding: str) -> list[dict[str, Any]]:
    kind, mint = chain.entities.get(owner, ("", ""))
    book = chain.book(mint) if kind == "pool" else None
    if book is None or book.quote_vault is None or not book.graduated_by(at_ms):
        return []
    return [{"account": wsol_vault_value(book, at_ms, encoding), "pubkey": book.quote_vault}]
