"""The Solana RPC's mints over real HTTP: both token programs, kept authorities, each dangerous
Token-2022 extension (on the mint and on its accounts), the bytes behind them, the supply."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ingestion.sandbox import SandboxHandle
from ingestion.sandbox.chain import FINALITY_MS, slot_at
from ingestion.sandbox.keys import TOKEN_2022_PROGRAM, TOKEN_PROGRAM
from tests.ingestion.sandbox.conftest import FORCED_AT
from tests.ingestion.sandbox.solana import PARSED, U64_MAX, mint_value, result, value

pytestmark = pytest.mark.timeout(30)


def metadata_space(token: dict[str, Any]) -> int:
    """Token-2022 mint bytes: 165 padded + account type + metadata pointer + token metadata."""
    text = sum(4 + len(token[key].encode()) for key in ("name", "symbol", "uri"))
    return 165 + 1 + (4 + 64) + (4 + 32 + 32 + text + 4)


def test_a_pump_token_2022_mint_reads_like_mainnet(chain: SandboxHandle, tokens: Any) -> None:
    token = tokens["plain"]

    answer = result(chain, "getAccountInfo", token["mint"], PARSED)

    assert answer["context"] == {"apiVersion": "3.1.9", "slot": slot_at(FORCED_AT - FINALITY_MS)}
    account = answer["value"]
    space = metadata_space(token)
    assert account == {
        "data": {
            "parsed": {
                "info": {
                    "decimals": 6,
                    "extensions": [
                        {
                            "extension": "metadataPointer",
                            "state": {"authority": None, "metadataAddress": token["mint"]},
                        },
                        {
                            "extension": "tokenMetadata",
                            "state": {
                                "additionalMetadata": [],
                                "mint": token["mint"],
                                "name": token["name"],
                                "symbol": token["symbol"],
                                "updateAuthority": None,
                                "uri": token["uri"],
                            },
                        },
                    ],
                    "freezeAuthority": None,
                    "isInitialized": True,
                    "mintAuthority": None,
                    "supply": "1000000000000000",
                },
                "type": "mint",
            },
            "program": "spl-token-2022",
            "space": space,
        },
        "executable": False,
        "lamports": (128 + space) * 6960,
        "owner": TOKEN_2022_PROGRAM,
        "rentEpoch": U64_MAX,
        "space": space,
    }


def test_a_legacy_mint_has_no_extensions_at_all(chain: SandboxHandle, tokens: Any) -> None:
    account = mint_value(chain, tokens["legacy"])

    assert account["owner"] == TOKEN_PROGRAM
    assert (account["space"], account["lamports"], account["data"]["program"]) == (
        82,
        1_461_600,
        "spl-token",
    )
    assert list(account["data"]["parsed"]["info"]) == [
        "decimals",
        "freezeAuthority",
        "isInitialized",
        "mintAuthority",
        "supply",
    ]


def test_kept_authorities_name_the_creator(chain: SandboxHandle, tokens: Any) -> None:
    token = tokens["authorities"]

    info = mint_value(chain, token)["data"]["parsed"]["info"]

    assert (info["mintAuthority"], info["freezeAuthority"]) == (token["creator"],) * 2
    assert token["risk"]["mint_authority"] == token["risk"]["freeze_authority"] == token["creator"]


@pytest.mark.parametrize(
    ("name", "account_extension"),
    [
        ("permanentDelegate", None),
        ("transferHook", {"extension": "transferHookAccount", "state": {"transferring": False}}),
        ("transferFeeConfig", {"extension": "transferFeeAmount", "state": {"withheldAmount": 0}}),
        ("defaultAccountState", None),
        ("nonTransferable", {"extension": "nonTransferableAccount"}),
    ],
)
def test_a_dangerous_extension_shows_on_the_mint_and_its_accounts(
    chain: SandboxHandle, tokens: Any, name: str, account_extension: dict[str, Any] | None
) -> None:
    token = tokens[name]
    creator = token["creator"]

    info = mint_value(chain, token)["data"]["parsed"]["info"]
    holder = value(chain, "getTokenAccountsByOwner", creator, {"mint": token["mint"]}, PARSED)

    names = [extension["extension"] for extension in info["extensions"]]
    assert names == ["metadataPointer", name, "tokenMetadata"]
    found = info["extensions"][1]
    expected_account = [{"extension": "immutableOwner"}]
    if account_extension is not None:
        expected_account.append(account_extension)
    account_info = holder[0]["account"]["data"]["parsed"]["info"]
    assert account_info["extensions"] == expected_account
    assert token["risk"]["dangerous_extension"] == name
    if name == "permanentDelegate":
        assert found == {"extension": name, "state": {"delegate": creator}}
    elif name == "transferHook":
        assert found["state"]["authority"] == creator
        assert found["state"]["programId"] not in (None, creator)
    elif name == "transferFeeConfig":
        state = found["state"]
        assert state["transferFeeConfigAuthority"] == state["withdrawWithheldAuthority"] == creator
        assert state["newerTransferFee"]["transferFeeBasisPoints"] in (100, 300, 500, 1000)
        assert state["withheldAmount"] == 0
    elif name == "defaultAccountState":
        assert found == {"extension": name, "state": {"accountState": "frozen"}}
        assert info["freezeAuthority"] == creator
        assert account_info["state"] == "frozen"
    else:
        assert found == {"extension": name}


def test_base64_bytes_agree_with_the_parsed_view(chain: SandboxHandle, tokens: Any) -> None:
    legacy, modern = tokens["legacy"], tokens["plain"]

    spl = value(chain, "getAccountInfo", legacy["mint"], {"encoding": "base64"})
    token_2022 = value(chain, "getAccountInfo", modern["mint"], {"encoding": "base64"})

    spl_bytes = base64.b64decode(spl["data"][0])
    assert (spl["data"][1], len(spl_bytes), spl["space"]) == ("base64", 82, 82)
    assert spl_bytes[:4] == bytes(4)  # no mint authority
    assert int.from_bytes(spl_bytes[36:44], "little") == 10**15
    assert (spl_bytes[44], spl_bytes[45]) == (6, 1)  # decimals, initialized
    modern_bytes = base64.b64decode(token_2022["data"][0])
    assert len(modern_bytes) == token_2022["space"] == metadata_space(modern)
    assert modern_bytes[165] == 1  # account type: mint


def test_the_supply_is_what_is_left_after_burns(chain: SandboxHandle, tokens: Any) -> None:
    supply = value(chain, "getTokenSupply", tokens["burn"]["mint"])

    assert supply == {
        "amount": "999600000000000",
        "decimals": 6,
        "uiAmount": 999600000.0,
        "uiAmountString": "999600000",
    }
    assert value(chain, "getTokenSupply", tokens["plain"]["mint"])["amount"] == "1000000000000000"
