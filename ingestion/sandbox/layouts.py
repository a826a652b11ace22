"""The bytes behind the simulated accounts: SPL Token and Token-2022 mints and token accounts
(extensions as type-length-value entries), pump.fun's bonding curve and PumpSwap's pool.

Account sizes (`space`) and rent (`lamports`) are read off these bytes, so a base64 answer and
a jsonParsed one of the same account always agree.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from typing import Any

from ingestion.sandbox.keys import key_bytes

MINT_SIZE, ACCOUNT_SIZE = 82, 165
ACCOUNT_TYPE = {"mint": 1, "account": 2}
# Token-2022's ExtensionType numbers.
EXTENSION_TYPES = {
    "transferFeeConfig": 1,
    "transferFeeAmount": 2,
    "defaultAccountState": 6,
    "immutableOwner": 7,
    "nonTransferable": 9,
    "permanentDelegate": 12,
    "nonTransferableAccount": 13,
    "transferHook": 14,
    "transferHookAccount": 15,
    "metadataPointer": 18,
    "tokenMetadata": 19,
}
ACCOUNT_STATES = {"uninitialized": 0, "initialized": 1, "frozen": 2}
_U64 = struct.Struct("<Q")


def rent_exempt_lamports(space: int) -> int:
    """The rent-exempt minimum: (128 bytes of header + data) x 3480 lamports x 2 years."""
    return (128 + space) * 3480 * 2


def anchor_discriminator(kind: str, name: str) -> bytes:
    """Anchor's 8-byte tag: the start of sha256("account:Pool"), sha256("global:migrate")..."""
    return hashlib.sha256(f"{kind}:{name}".encode()).digest()[:8]


def _option_key(address: str | None) -> bytes:
    """COption<Pubkey>: a 4-byte tag, then the key (zeros when absent)."""
    if address is None:
        return bytes(36)
    return (1).to_bytes(4, "little") + key_bytes(address)


def _nonzero_key(address: str | None) -> bytes:
    """Token-2022's OptionalNonZeroPubkey: all zeros means none."""
    return bytes(32) if address is None else key_bytes(address)


def _string(text: str) -> bytes:
    raw = text.encode()
    return len(raw).to_bytes(4, "little") + raw


def _fee(fee: Mapping[str, int]) -> bytes:
    return (
        _U64.pack(fee["epoch"])
        + _U64.pack(fee["maximumFee"])
        + fee["transferFeeBasisPoints"].to_bytes(2, "little")
    )


def _extension_value(name: str, state: Mapping[str, Any]) -> bytes:
    if name == "metadataPointer":
        return _nonzero_key(state["authority"]) + key_bytes(state["metadataAddress"])
    if name == "tokenMetadata":
        return (
            _nonzero_key(state["updateAuthority"])
            + key_bytes(state["mint"])
            + _string(state["name"])
            + _string(state["symbol"])
            + _string(state["uri"])
            + len(state["additionalMetadata"]).to_bytes(4, "little")
        )
    if name == "permanentDelegate":
        return _nonzero_key(state["delegate"])
    if name == "transferHook":
        return _nonzero_key(state["authority"]) + _nonzero_key(state["programId"])
    if name == "transferFeeConfig":
        return (
            _nonzero_key(state["transferFeeConfigAuthority"])
            + _nonzero_key(state["withdrawWithheldAuthority"])
            + _U64.pack(state["withheldAmount"])
            + _fee(state["olderTransferFee"])
            + _fee(state["newerTransferFee"])
        )
    if name == "defaultAccountState":
        return bytes([ACCOUNT_STATES[state["accountState"]]])
    if name == "transferFeeAmount":
        return _U64.pack(state["withheldAmount"])
    if name == "transferHookAccount":
        return bytes([state["transferring"]])
    return b""  # immutableOwner, nonTransferable, nonTransferableAccount carry nothing


def _with_extensions(base: bytes, kind: str, extensions: list[dict[str, Any]] | None) -> bytes:
    """Token-2022 layout: the SPL bytes padded to an account's size, the account type, then
    one type-length-value entry per extension. Without extensions: the SPL bytes alone."""
    if extensions is None:
        return base
    out = bytearray(base.ljust(ACCOUNT_SIZE, b"\0"))
    out.append(ACCOUNT_TYPE[kind])
    for extension in extensions:
        value = _extension_value(extension["extension"], extension.get("state", {}))
        out += EXTENSION_TYPES[extension["extension"]].to_bytes(2, "little")
        out += len(value).to_bytes(2, "little") + value
    return bytes(out)


def mint_bytes(info: Mapping[str, Any]) -> bytes:
    """A mint from its jsonParsed `info` (extensions present only on Token-2022 mints)."""
    base = (
        _option_key(info["mintAuthority"])
        + _U64.pack(int(info["supply"]))
        + bytes([info["decimals"], info["isInitialized"]])
        + _option_key(info["freezeAuthority"])
    )
    return _with_extensions(base, "mint", info.get("extensions"))


def token_account_bytes(info: Mapping[str, Any], token_2022: bool) -> bytes:
    """A token account from its jsonParsed `info`; native (wrapped SOL) accounts carry their
    rent reserve in is_native."""
    reserve = info.get("rentExemptReserve")
    native = (1).to_bytes(4, "little") + _U64.pack(int(reserve["amount"])) if reserve else bytes(12)
    base = (
        key_bytes(info["mint"])
        + key_bytes(info["owner"])
        + _U64.pack(int(info["tokenAmount"]["amount"]))
        + bytes(36)  # no delegate
        + bytes([ACCOUNT_STATES[info["state"]]])
        + native
        + bytes(8)  # delegated amount
        + bytes(36)  # no close authority
    )
    extensions = info.get("extensions")
    return _with_extensions(base, "account", extensions if token_2022 else None)


def bonding_curve_bytes(
    *, virtual_tokens: int, virtual_sol: int, real_tokens: int, real_sol: int, complete: bool,
    creator: str,
) -> bytes:  # fmt: skip
    """pump.fun's BondingCurve, fields in the program's order up to its creator."""
    return (
        anchor_discriminator("account", "BondingCurve")
        + b"".join(_U64.pack(v) for v in (virtual_tokens, virtual_sol, real_tokens, real_sol))
        + _U64.pack(10**15)
        + bytes([complete])
        + key_bytes(creator)
    )


def pool_bytes(
    *, bump: int, creator: str, base_mint: str, quote_mint: str, lp_mint: str, base_vault: str,
    quote_vault: str, lp_supply: int, coin_creator: str,
) -> bytes:  # fmt: skip
    """PumpSwap's Pool (index 0), fields in the program's order up to its coin creator."""
    keys = (creator, base_mint, quote_mint, lp_mint, base_vault, quote_vault)
    return (
        anchor_discriminator("account", "Pool")
        + bytes([bump])
        + (0).to_bytes(2, "little")
        + b"".join(key_bytes(key) for key in keys)
        + _U64.pack(lp_supply)
        + key_bytes(coin_creator)
    )
