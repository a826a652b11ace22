"""SolanaRpcClient over real sockets, against a loopback node answering the captured shapes."""

import copy
import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from ingestion.clients.ratelimit import LocalTokenBucket, RedisTokenBucket
from ingestion.clients.solana_address import (
    is_on_curve,
    is_valid_address,
    is_valid_signature,
    parse_address,
    parse_signature,
)
from ingestion.clients.solana_rpc import (
    MAX_BODY_BYTES,
    METHODS,
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    MintAccount,
    SignatureInfo,
    SolanaRpcClient,
    SolanaRpcError,
    SolanaRpcShapeError,
    TokenAccountBalance,
    TokenSupply,
    build_rpc_budget,
    classify_rpc_error,
    rate_for_rps,
)

from .solana_node import (
    BONK,
    CAPTURES,
    Canned,
    FakeSolanaNode,
    capture,
    captured_response,
    make_address,
    make_signature,
    serve,
    signature_page,
)
from .support import FakeClock

if not CAPTURES.is_dir():
    pytest.skip(f"needs the captured RPC answers in {CAPTURES}", allow_module_level=True)

pytestmark = pytest.mark.timeout(60)

REPO = Path(__file__).parents[3]
FLUX = "FLUXBmPhT3Fd1EDVFdg46YREqHBeNypn1h4EbnTzWERX"
START = 1_772_427_561.0
PARSED = {"encoding": "jsonParsed", "commitment": "confirmed"}
Node = tuple[FakeSolanaNode, str]


@pytest.fixture(autouse=True)
def _clean_redis() -> None:
    """Replaces the project-wide flush of Django's Redis: these tests touch no Django state and
    keep their Redis keys under a prefix of their own."""


@pytest.fixture
def node() -> Iterator[Node]:
    state = FakeSolanaNode()
    with serve(state) as url:
        yield state, url


def _client(url: str, clock: FakeClock, **options: Any) -> SolanaRpcClient:
    options.setdefault("limiter", LocalTokenBucket(6000, clock=clock, sleep=clock.sleep))
    options.setdefault("max_attempts", 3)
    return SolanaRpcClient(url, sleep=clock.sleep, jitter=lambda: 1.0, **options)


def _ok(result: Any) -> Canned:
    return Canned(payload={"jsonrpc": "2.0", "result": result})


def _rpc_error(code: int, message: str, **extra: Any) -> Canned:
    return Canned(payload={"jsonrpc": "2.0", "error": {"code": code, "message": message, **extra}})


def _reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [_reversed_keys(item) for item in value]
    return value


def _account_value(name: str) -> dict[str, Any]:
    return captured_response(name)["result"]["value"]


def _token_account(owner: str, amount: int) -> dict[str, Any]:
    """The captured devnet token account, moved onto ``owner`` with ``amount``."""
    value = _account_value("getTokenAccountsByOwner-unidentified-1")[0]["account"]
    value["data"]["parsed"]["info"]["owner"] = owner
    value["data"]["parsed"]["info"]["tokenAmount"]["amount"] = str(amount)
    return value


def _bonk_mint(**info: Any) -> dict[str, Any]:
    answer = captured_response("getAccountInfo-jouleka-1")
    answer["result"]["value"]["data"]["parsed"]["info"].update(info)
    return answer


# Mints and token accounts


def test_it_reads_a_classic_spl_mint_from_the_captured_answer(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned.append(Canned(payload=captured_response("getAccountInfo-jouleka-1")))

    with _client(url, clock) as client:
        mint = client.get_mint(BONK)

    assert state.requests == [
        {"jsonrpc": "2.0", "id": 1, "method": "getAccountInfo", "params": [BONK, PARSED]}
    ]
    assert mint == MintAccount(
        address=BONK,
        program_id=TOKEN_PROGRAM,
        mint_authority=None,
        freeze_authority=None,
        supply=8799471343582888521,
        decimals=5,
        is_initialized=True,
        extensions=(),
        extension_states={},
        slot=430727426,
    )
    assert mint is not None
    assert mint.is_token_2022 is False


def test_it_reads_token_2022_extensions_with_their_state(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned.append(Canned(payload=captured_response("getAccountInfo-p2p-org-1")))

    with _client(url, clock) as client:
        mint = client.get_mint(FLUX)

    assert mint is not None
    assert (mint.program_id, mint.is_token_2022, mint.supply, mint.decimals, mint.slot) == (
        TOKEN_2022_PROGRAM,
        True,
        49999926084710,
        5,
        243351571,
    )
    assert mint.extensions == ("transferFeeConfig",)
    fee = mint.extension_states["transferFeeConfig"]
    assert fee["newerTransferFee"] == {
        "epoch": 530,
        "maximumFee": 50000000000000,
        "transferFeeBasisPoints": 300,
    }
    assert fee["withheldAmount"] == 7859097201
    assert fee["withdrawWithheldAuthority"] == "LPF354oHyPWL7BoMRySPQLwfvUyqPBWpwC4R7atptrD"


def test_it_lists_every_extension_of_a_pump_fun_token_2022_mint(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    coin = "2JHrkVb5NwQEKRgLbBu9CyrG7F7SmvJyLW1NkpdP8WWR"
    answer = captured_response("getAccountInfo-p2p-org-1")
    info = answer["result"]["value"]["data"]["parsed"]["info"]
    info.update(decimals=6, supply="999427092463809")
    info["extensions"] = [
        {"extension": "metadataPointer", "state": {"authority": None, "metadataAddress": coin}},
        {"extension": "tokenMetadata", "state": {"mint": coin, "updateAuthority": None}},
        {"extension": "nonTransferable"},
    ]
    state.canned.append(Canned(payload=answer))

    with _client(url, clock) as client:
        mint = client.get_mint(coin)

    assert mint is not None
    assert mint.extensions == ("metadataPointer", "tokenMetadata", "nonTransferable")
    assert mint.extension_states == {
        "metadataPointer": {"authority": None, "metadataAddress": coin},
        "tokenMetadata": {"mint": coin, "updateAuthority": None},
        "nonTransferable": {},
    }
    assert (mint.supply, mint.decimals) == (999427092463809, 6)


def test_it_reads_the_same_mint_whatever_the_key_order(node: Node, clock: FakeClock) -> None:
    state, url = node
    for name in ("getAccountInfo-jouleka-1", "getAccountInfo-p2p-org-1"):
        state.canned.append(Canned(payload=captured_response(name)))
        state.canned.append(Canned(payload=_reversed_keys(captured_response(name))))

    with _client(url, clock) as client:
        mints = [client.get_mint(mint) for mint in (BONK, BONK, FLUX, FLUX)]

    assert mints[0] == mints[1]
    assert mints[2] == mints[3]
    assert mints[0] != mints[2]


def test_it_answers_none_for_an_account_that_does_not_exist(node: Node, clock: FakeClock) -> None:
    state, url = node
    answer = captured_response("getAccountInfo-jouleka-1")
    answer["result"]["value"] = None
    state.canned = [Canned(payload=answer), Canned(payload=copy.deepcopy(answer))]

    with _client(url, clock) as client:
        assert client.get_account_info(BONK) is None
        assert client.get_mint(BONK) is None


def test_it_reads_an_account_the_node_could_not_parse(node: Node, clock: FakeClock) -> None:
    state, url = node
    answer = captured_response("getAccountInfo-jouleka-1")
    answer["result"]["value"]["data"] = ["AQIDBA==", "base64"]
    answer["result"]["value"]["owner"] = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
    state.canned.append(Canned(payload=answer))

    with _client(url, clock) as client:
        account = client.get_account_info(BONK)

    assert account is not None
    assert (account.owner, account.program, account.parsed_type, dict(account.info)) == (
        "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P",
        None,
        None,
        {},
    )
    assert (account.lamports, account.executable, account.space, account.slot) == (
        1089583620238,
        False,
        82,
        430727426,
    )


def test_it_refuses_to_read_a_token_account_as_a_mint(node: Node, clock: FakeClock) -> None:
    state, url = node
    answer = captured_response("getAccountInfo-jouleka-1")
    answer["result"]["value"] = _token_account(make_address("owner"), 5)
    state.canned.append(Canned(payload=answer))

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_mint(BONK)

    assert (caught.value.kind, caught.value.message) == (
        "invalid",
        f"{BONK} is not a token mint (owner {TOKEN_PROGRAM})",
    )


def test_it_reads_many_accounts_100_keys_a_request_and_resolves_their_owners(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    keys = [make_address(n) for n in range(101)]
    position = {key: n for n, key in enumerate(keys)}

    def accounts(params: list[Any]) -> dict[str, Any]:
        value = [
            None if position[key] % 3 == 2 else _token_account(make_address(f"owner-{key}"), 7)
            for key in params[0]
        ]
        return {"context": {"apiVersion": "3.0.0", "slot": 99}, "value": value}

    state.results["getMultipleAccounts"] = accounts

    with _client(url, clock) as client:
        balances = client.get_token_account_balances(keys)

    assert state.params == [[keys[:100], PARSED], [keys[100:], PARSED]]
    mint = "E7eHC3g4QsFXuaBe3X2wVr54yEvHK8K8fq6qrgB64djx"
    assert balances == [
        None
        if n % 3 == 2
        else TokenAccountBalance(
            address=key, amount=7, decimals=9, mint=mint, owner=make_address(f"owner-{key}")
        )
        for n, key in enumerate(keys)
    ]


def test_it_refuses_a_getmultipleaccounts_answer_with_the_wrong_count(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.canned.append(_ok({"context": {"slot": 1}, "value": [None]}))

    with _client(url, clock) as client, pytest.raises(SolanaRpcShapeError) as caught:
        client.get_multiple_accounts([BONK, FLUX])

    assert caught.value.message == "getMultipleAccounts: 1 accounts for 2 keys"


def test_it_reads_the_20_largest_accounts_of_the_captured_pump_coin(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    coin = "5YUMaw3fFCRMySvuYMgZJ6nB2te3wvo9QGdP3tNNpump"
    state.canned.append(Canned(payload=captured_response("getTokenLargestAccounts-gbengeneh-1")))

    with _client(url, clock) as client:
        largest = client.get_token_largest_accounts(coin)

    assert state.params == [[coin, {"commitment": "confirmed"}]]
    assert len(largest) == 20
    assert largest[0] == TokenAccountBalance(
        address="AiYMGVc6uqHxwVwbGcN31gXFPGxeJeo5ySjLbCnUddCr",
        amount=232891037804997,
        decimals=6,
        mint=coin,
        owner=None,
    )
    assert [entry.amount for entry in largest[:3]] == [
        232891037804997,
        29221645076657,
        28665432923433,
    ]
    expected = capture("getTokenLargestAccounts-gbengeneh-1")["response"]["result"]["value"]
    assert [entry.amount for entry in largest] == [int(item["amount"]) for item in expected]


def test_it_reads_the_token_supply_as_an_exact_integer(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned.append(Canned(payload=captured_response("getTokenSupply-jouleka-1")))

    with _client(url, clock) as client:
        supply = client.get_token_supply(BONK)

    assert state.params == [[BONK, {"commitment": "confirmed"}]]
    # uiAmount (87994713435828.89) has lost the last digits; the decimal string has not.
    assert supply == TokenSupply(amount=8799471343582888521, decimals=5, slot=430727427)


def test_it_reads_an_owners_token_accounts_of_one_mint(node: Node, clock: FakeClock) -> None:
    state, url = node
    owner = "6SWBzQWZndeaCKg3AzbY3zkvapCu9bHFZv12iiRoGvCD"
    mint = "E7eHC3g4QsFXuaBe3X2wVr54yEvHK8K8fq6qrgB64djx"
    state.canned.append(Canned(payload=captured_response("getTokenAccountsByOwner-unidentified-1")))

    with _client(url, clock) as client:
        balances = client.get_token_accounts_by_owner(owner, mint=mint)

    assert state.params == [[owner, {"mint": mint}, PARSED]]
    assert balances == [
        TokenAccountBalance(
            address="HDv1RgdHjrjSdnTFJsMqQGPcKTiuF7zLjhNaSd7ihbKh",
            amount=90000000000,
            decimals=9,
            mint=mint,
            owner=owner,
        )
    ]


def test_it_reads_an_owners_token_accounts_of_one_program(node: Node, clock: FakeClock) -> None:
    state, url = node
    owner = make_address("creator")
    state.canned.append(_ok({"context": {"slot": 7}, "value": []}))

    with _client(url, clock) as client:
        balances = client.get_token_accounts_by_owner(owner, program_id=TOKEN_2022_PROGRAM)

    assert state.params == [[owner, {"programId": TOKEN_2022_PROGRAM}, PARSED]]
    assert balances == []


@pytest.mark.parametrize("filters", [{}, {"mint": BONK, "program_id": TOKEN_PROGRAM}])
def test_it_asks_for_exactly_one_token_account_filter(
    node: Node, clock: FakeClock, filters: dict[str, str]
) -> None:
    state, url = node

    with _client(url, clock) as client, pytest.raises(ValueError, match="exactly one"):
        client.get_token_accounts_by_owner(BONK, **filters)

    assert state.requests == []


# Signatures and transactions


def test_it_reads_signature_entries_with_missing_block_times_and_memos(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    address = make_address("migration-account")
    state.canned = [
        Canned(payload=captured_response("getSignaturesForAddress-sava-software-1")),
        Canned(payload=captured_response("getSignaturesForAddress-p2p-org-1")),
    ]

    with _client(url, clock) as client:
        first = client.get_signatures_for_address(address)
        second = client.get_signatures_for_address(address)

    assert state.params == [[address, {"limit": 1000, "commitment": "confirmed"}]] * 2
    assert [(e.signature[:8], e.slot, e.block_time, e.failed) for e in first] == [
        ("576BepPo", 325301549, None, False),
        ("4TgPCZVe", 323931131, 1740856237, False),
        ("4eQyc8UQ", 316386176, 1737853408, False),
    ]
    assert second == [
        SignatureInfo(
            signature="2S2rTZjaqzxYRw9mnqzwtyqitKtSsnE8GVqLn1KrD5R2YpXZnU4GdjppsgfSAbrzJfaqadfi8CtrqEBy588WVQ3E",
            slot=184930610,
            block_time=1679899845,
            failed=False,
            err=None,
            memo="[8] transfer",
            confirmation_status="finalized",
        )
    ]


def _chain(count: int) -> list[dict[str, Any]]:
    """``count`` signature entries, newest first, in the captured shape; every third failed."""
    template = captured_response("getSignaturesForAddress-sava-software-1")["result"][1]
    entries = []
    for n in range(count):
        entry = dict(template, signature=make_signature(n), slot=400_000_000 - n)
        entry["blockTime"] = 1_772_000_000 - n
        entry["err"] = {"InstructionError": [4, {"Custom": 6040}]} if n % 3 == 1 else None
        entries.append(entry)
    return entries


def test_it_sends_before_until_and_limit_as_given(node: Node, clock: FakeClock) -> None:
    state, url = node
    entries = _chain(7)
    state.results["getSignaturesForAddress"] = lambda params: signature_page(entries, params)
    address = make_address("migration-account")

    with _client(url, clock) as client:
        page = client.get_signatures_for_address(
            address, before=entries[1]["signature"], until=entries[5]["signature"], limit=2
        )

    config = {
        "limit": 2,
        "commitment": "confirmed",
        "before": entries[1]["signature"],
        "until": entries[5]["signature"],
    }
    assert state.params == [[address, config]]
    assert [entry.signature for entry in page] == [e["signature"] for e in entries[2:4]]
    assert [entry.failed for entry in page] == [False, False]


def test_it_pages_back_through_history_until_a_short_page(node: Node, clock: FakeClock) -> None:
    state, url = node
    entries = _chain(7)
    state.results["getSignaturesForAddress"] = lambda params: signature_page(entries, params)
    address = make_address("migration-account")

    with _client(url, clock) as client:
        seen = list(client.iter_signatures(address, page_size=3))

    assert [entry.signature for entry in seen] == [e["signature"] for e in entries]
    assert [entry.failed for entry in seen] == [False, True, False, False, True, False, False]
    assert seen[1].err == {"InstructionError": [4, {"Custom": 6040}]}
    assert state.params == [
        [address, {"limit": 3, "commitment": "confirmed"}],
        [address, {"limit": 3, "commitment": "confirmed", "before": entries[2]["signature"]}],
        [address, {"limit": 3, "commitment": "confirmed", "before": entries[5]["signature"]}],
    ]


def test_it_asks_once_more_when_history_fills_the_last_page_exactly(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    entries = _chain(6)
    state.results["getSignaturesForAddress"] = lambda params: signature_page(entries, params)

    with _client(url, clock) as client:
        seen = list(client.iter_signatures(BONK, page_size=3))

    assert len(seen) == 6
    assert [params[1].get("before") for params in state.params] == [
        None,
        entries[2]["signature"],
        entries[5]["signature"],
    ]


def test_it_catches_up_to_the_last_known_signature(node: Node, clock: FakeClock) -> None:
    state, url = node
    entries = _chain(7)
    state.results["getSignaturesForAddress"] = lambda params: signature_page(entries, params)
    known = entries[4]["signature"]

    with _client(url, clock) as client:
        seen = list(client.iter_signatures(BONK, until=known, page_size=3))

    assert [entry.signature for entry in seen] == [e["signature"] for e in entries[:4]]
    assert state.params == [
        [BONK, {"limit": 3, "commitment": "confirmed", "until": known}],
        [
            BONK,
            {
                "limit": 3,
                "commitment": "confirmed",
                "until": known,
                "before": entries[2]["signature"],
            },
        ],
    ]


def test_it_stops_paging_when_the_node_ignores_before(node: Node, clock: FakeClock) -> None:
    state, url = node
    entries = _chain(3)
    state.results["getSignaturesForAddress"] = lambda params: entries

    with _client(url, clock) as client, pytest.raises(SolanaRpcShapeError) as caught:
        list(client.iter_signatures(BONK, page_size=3))

    assert caught.value.message == "getSignaturesForAddress: a page did not move back"
    assert len(state.requests) == 2


def test_it_reads_a_v0_transaction_from_the_captured_answer(node: Node, clock: FakeClock) -> None:
    state, url = node
    answer = captured_response("getTransaction-chainstacklabs-1")
    result = copy.deepcopy(answer["result"])
    state.canned.append(Canned(payload=answer))
    signature = result["transaction"]["signatures"][0]

    with _client(url, clock) as client:
        transaction = client.get_transaction(signature)

    config = {
        "encoding": "jsonParsed",
        "maxSupportedTransactionVersion": 0,
        "commitment": "confirmed",
    }
    assert state.params == [[signature, config]]
    assert transaction is not None
    assert (transaction.signature, transaction.slot, transaction.block_time) == (
        "52ar89rghM8EwKZkxFnBMC4LaMReqtVdpxqXxGWBCMYV1DnYdLrdsqJo8Hbn9KjVpckAokqGNHzTSVfK5xuLepdC",
        284682639,
        1724128600,
    )
    assert (transaction.version, transaction.failed, transaction.err) == (0, False, None)
    assert len(transaction.account_keys) == 18
    assert transaction.account_keys[:2] == (
        "Fswrw3tgQL597kCexxLEhft6a7Su4CDoqwRMqqj4BEp5",
        "ER2N5eaDoC68kNhj7LyaScimzq7deaqxiw88rewvxaKp",
    )
    message = result["transaction"]["message"]
    assert [ix["programId"] for ix in transaction.instructions] == [
        ix["programId"] for ix in message["instructions"]
    ]
    assert sorted(transaction.inner_instructions) == sorted(
        group["index"] for group in result["meta"]["innerInstructions"]
    )
    assert transaction.inner_instructions[3][0]["parsed"]["type"] == "createAccount"
    assert transaction.log_messages == tuple(result["meta"]["logMessages"])
    assert len(transaction.log_messages) == 100
    assert "Program log: Instruction: Create" in transaction.log_messages
    assert transaction.raw == result


def test_it_reads_a_failed_transaction_without_logs(node: Node, clock: FakeClock) -> None:
    state, url = node
    answer = captured_response("getTransaction-chainstacklabs-1")
    answer["result"]["meta"]["err"] = {"InstructionError": [2, {"Custom": 6040}]}
    del answer["result"]["meta"]["logMessages"]
    state.canned.append(Canned(payload=answer))

    with _client(url, clock) as client:
        transaction = client.get_transaction(answer["result"]["transaction"]["signatures"][0])

    assert transaction is not None
    assert (transaction.failed, transaction.err, transaction.log_messages) == (
        True,
        {"InstructionError": [2, {"Custom": 6040}]},
        None,
    )


def test_it_answers_none_for_a_transaction_the_node_does_not_know(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.canned.append(_ok(None))

    with _client(url, clock) as client:
        assert client.get_transaction(make_signature("unknown")) is None


def test_it_does_not_retry_a_transaction_version_the_client_cannot_read(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    message = "Transaction version (1) is not supported by the requesting client."
    state.canned.append(_rpc_error(-32015, message))

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_transaction(make_signature("v1"))

    assert (caught.value.kind, caught.value.code, caught.value.message) == (
        "unsupported",
        -32015,
        message,
    )
    assert len(state.requests) == 1


def test_it_reads_the_slot_and_the_health(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned = [_ok(430727426), _ok("ok")]

    with _client(url, clock, commitment="finalized") as client:
        slot = client.get_slot()
        healthy = client.get_health()

    assert (slot, healthy) == (430727426, True)
    assert state.requests == [
        {"jsonrpc": "2.0", "id": 1, "method": "getSlot", "params": [{"commitment": "finalized"}]},
        {"jsonrpc": "2.0", "id": 2, "method": "getHealth"},
    ]


@pytest.mark.parametrize("name", ["getHealth-solana-labs-1", "getHealth-sava-software-1"])
def test_it_reports_a_lagging_node_as_unhealthy_after_one_request(
    node: Node, clock: FakeClock, name: str
) -> None:
    state, url = node
    state.canned.append(Canned(payload=captured_response(name)))

    with _client(url, clock) as client:
        assert client.get_health() is False

    assert state.methods == ["getHealth"]
    assert clock.sleeps == []


# Rate limits


def test_it_waits_out_a_429_retry_after_in_the_shared_budget_then_retries(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    body = captured_response("http429-milktoastlab-1")
    state.canned.append(Canned(status=429, payload=body, headers={"Retry-After": "7"}))
    state.canned.append(_ok(5))
    observed: list[tuple[str, int | None]] = []

    with _client(url, clock, on_request=lambda m, s, e: observed.append((m, s))) as client:
        slot = client.get_slot()

    assert slot == 5
    assert observed == [("getSlot", 429), ("getSlot", 200)]
    assert clock.sleeps == [7.0]
    assert clock.now == START + 7.0


def test_it_doubles_the_penalty_of_429s_without_retry_after_then_gives_up(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.canned = [Canned(status=429, raw=b"Too Many Requests") for _ in range(3)]
    limiter = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)

    with _client(url, clock, limiter=limiter) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_slot()

    error = caught.value
    assert (error.kind, error.status, error.code, error.attempts) == ("rate_limited", 429, None, 3)
    assert error.message == "HTTP 429 (backed off 40.0s)"
    assert error.retryable is True
    assert clock.sleeps == [10.0, 20.0]
    assert limiter.usage().blocked_until == clock.now + 40.0


@pytest.mark.parametrize(
    "name",
    [
        "http429-milktoastlab-1",
        "getTokenAccountsByOwner-blocto-1",
        "getProgramAccounts-solana-labs-1",
    ],
)
def test_it_reads_the_captured_public_endpoint_429_bodies(
    node: Node, clock: FakeClock, name: str
) -> None:
    state, url = node
    body = captured_response(name)
    state.canned.append(Canned(status=429, payload=body))

    with _client(url, clock, max_attempts=1) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_slot()

    assert (caught.value.kind, caught.value.code, caught.value.status) == ("rate_limited", 429, 429)
    assert caught.value.message == f"{body['error']['message']} (backed off 10.0s)"


@pytest.mark.parametrize(
    ("code", "message"),
    [(-32429, "rate limit exceeded"), (-32097, "Too many requests from your IP")],
)
def test_it_treats_a_json_rpc_rate_limit_like_a_429(
    node: Node, clock: FakeClock, code: int, message: str
) -> None:
    state, url = node
    state.canned = [_rpc_error(code, message), _ok(9)]
    limiter = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)

    with _client(url, clock, limiter=limiter) as client:
        assert client.get_slot() == 9

    assert clock.sleeps == [10.0]
    assert len(state.requests) == 2


def test_it_doubles_the_penalty_of_json_rpc_rate_limits_in_a_row(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.canned = [_rpc_error(-32429, "rate limited"), _rpc_error(-32429, "rate limited"), _ok(4)]

    with _client(url, clock) as client:
        assert client.get_slot() == 4

    assert clock.sleeps == [10.0, 20.0]


def test_it_reads_the_json_rpc_error_inside_a_4xx(node: Node, clock: FakeClock) -> None:
    state, url = node
    error = _rpc_error(-32602, "Invalid param: unrecognized Token program id")
    state.canned = [Canned(status=400, payload=error.payload), _ok(1)]

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_token_accounts_by_owner(BONK, program_id=TOKEN_PROGRAM)

    assert (caught.value.kind, caught.value.code, caught.value.status) == ("invalid", -32602, 400)
    assert caught.value.message == "Invalid param: unrecognized Token program id"
    assert len(state.requests) == 1


def test_it_penalizes_the_methods_bucket_and_the_overall_one(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned.append(Canned(status=429, raw=b"", headers={"Retry-After": "5"}))
    overall = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)
    slots = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)
    supplies = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)
    buckets = {"getSlot": slots, "getTokenSupply": supplies}

    with (
        _client(url, clock, limiter=overall, limiter_for=buckets, max_attempts=1) as client,
        pytest.raises(SolanaRpcError),
    ):
        client.get_slot()

    assert overall.usage().blocked_until == START + 5.0
    assert slots.usage().blocked_until == START + 5.0
    assert supplies.usage().blocked_until is None


# Other failures


def test_it_retries_5xx_with_capped_exponential_backoff(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned = [Canned(status=503, raw=b"busy"), Canned(status=502, raw=b""), _ok(3)]

    with _client(url, clock, backoff_max=0.75) as client:
        assert client.get_slot() == 3

    assert clock.sleeps == [0.5, 0.75]


def test_it_gives_up_on_5xx_after_the_last_attempt(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned = [Canned(status=502, raw=b"<html>bad gateway</html>") for _ in range(3)]

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_slot()

    assert (caught.value.kind, caught.value.status, caught.value.attempts) == ("http_5xx", 502, 3)
    assert clock.sleeps == [0.5, 1.0]


@pytest.mark.parametrize(
    ("canned", "kind", "requests"),
    [
        (Canned(payload=captured_response("getHealth-solana-labs-1")), "node_behind", 3),
        (Canned(payload=captured_response("getTokenLargestAccounts-jouleka-1")), "internal", 3),
        (_rpc_error(-32019, "Failed to query long-term storage; please try again"), "internal", 3),
        (_rpc_error(-32016, "Minimum context slot has not been reached"), "node_behind", 3),
        (Canned(payload=captured_response("getBlock-solana-labs-2")), "pruned", 1),
        (Canned(payload=captured_response("getBlock-solana-labs-1")), "pruned", 1),
        (_rpc_error(-32011, "Transaction history is not available from this node"), "pruned", 1),
        (
            Canned(payload=captured_response("getTokenLargestAccounts-solana-foundation-1")),
            "unsupported",
            1,
        ),
        (_rpc_error(-32602, "Invalid param: not a Token mint"), "invalid", 1),
        (_rpc_error(-32601, "Method not found"), "unsupported", 1),
        (_rpc_error(-32099, "something only this provider says"), "rpc", 1),
    ],
)
def test_it_retries_only_the_transient_json_rpc_errors(
    node: Node, clock: FakeClock, canned: Canned, kind: str, requests: int
) -> None:
    state, url = node
    state.canned = [copy.deepcopy(canned) for _ in range(3)]
    error = canned.payload["error"]

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_token_largest_accounts(BONK)

    assert (caught.value.kind, caught.value.code, caught.value.message) == (
        kind,
        error["code"],
        error["message"],
    )
    assert (caught.value.attempts, caught.value.status) == (requests, 200)
    assert caught.value.data == error.get("data")
    assert len(state.requests) == requests


def test_it_recovers_when_the_index_service_is_overloaded_once(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.canned = [
        Canned(payload=captured_response("getTokenLargestAccounts-jouleka-1")),
        Canned(payload=captured_response("getTokenLargestAccounts-sava-software-1")),
    ]

    with _client(url, clock) as client:
        largest = client.get_token_largest_accounts(BONK)

    assert len(largest) == 20
    assert largest[0] == TokenAccountBalance(
        address="BGLx2hbcLHk5ajMeLB2SP2zw5ZHqYTCazNJEB9uGcz3q",
        amount=854699973338,
        decimals=8,
        mint=BONK,
    )
    assert clock.sleeps == [0.5]


def test_it_does_not_retry_a_403_from_the_public_endpoint(node: Node, clock: FakeClock) -> None:
    state, url = node
    body = captured_response("http403-MarkSackerberg-1")
    state.canned = [Canned(status=403, payload=body), _ok(1)]

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_slot()

    assert (caught.value.kind, caught.value.code, caught.value.status) == ("http_4xx", 403, 403)
    assert caught.value.message == body["error"]["message"]
    assert len(state.requests) == 1


def test_it_retries_a_request_that_timed_out(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned = [Canned(payload={"jsonrpc": "2.0", "result": 1}, delay=1.0), _ok(2)]
    observed: list[int | None] = []

    with _client(
        url, clock, timeout=httpx.Timeout(0.2), on_request=lambda m, s, e: observed.append(s)
    ) as client:
        assert client.get_slot() == 2

    assert observed == [None, 200]
    assert clock.sleeps == [0.5]


def test_it_gives_up_when_every_attempt_times_out(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned = [Canned(payload={"jsonrpc": "2.0", "result": 1}, delay=1.0) for _ in range(2)]

    with (
        _client(url, clock, timeout=httpx.Timeout(0.2), max_attempts=2) as client,
        pytest.raises(SolanaRpcError) as caught,
    ):
        client.get_slot()

    assert (caught.value.kind, caught.value.status, caught.value.attempts) == ("timeout", None, 2)


def test_it_stops_reading_a_slow_body_at_the_call_deadline(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned.append(Canned(payload=captured_response("getTokenSupply-jouleka-1"), drip=0.05))
    started = time.monotonic()

    with (
        _client(url, clock, timeout=httpx.Timeout(2.0), deadline=0.4) as client,
        pytest.raises(SolanaRpcError) as caught,
    ):
        client.get_token_supply(BONK)

    assert (caught.value.kind, caught.value.message, caught.value.attempts) == (
        "timeout",
        "call deadline passed while reading",
        1,
    )
    assert time.monotonic() - started < 1.5
    assert len(state.requests) == 1


def test_it_starts_no_retry_that_would_end_after_the_deadline(node: Node, clock: FakeClock) -> None:
    state, url = node
    state.canned = [Canned(status=503, raw=b"") for _ in range(3)]

    with (
        _client(url, clock, deadline=0.3, backoff_base=0.5) as client,
        pytest.raises(SolanaRpcError) as caught,
    ):
        client.get_slot()

    assert (caught.value.kind, caught.value.attempts) == ("http_5xx", 1)
    assert clock.sleeps == []


@pytest.mark.parametrize("declare_length", [True, False])
def test_it_refuses_a_body_above_the_size_cap(
    node: Node, clock: FakeClock, declare_length: bool
) -> None:
    state, url = node
    big = {"jsonrpc": "2.0", "result": "x" * 5000}
    state.canned.append(Canned(payload=big, declare_length=declare_length))

    with (
        _client(url, clock, max_body_bytes=4096) as client,
        pytest.raises(SolanaRpcError) as caught,
    ):
        client.get_slot()

    assert (caught.value.kind, caught.value.message) == ("too_large", "body above 4096 bytes")
    assert (caught.value.status, caught.value.attempts) == (200, 1)


def test_it_caps_bodies_at_8_mb_by_default(node: Node, clock: FakeClock) -> None:
    state, url = node
    raw = b'{"jsonrpc":"2.0","id":1,"result":"' + b"a" * MAX_BODY_BYTES + b'"}'
    state.canned.append(Canned(raw=raw, declare_length=False))

    with _client(url, clock) as client, pytest.raises(SolanaRpcError) as caught:
        client.get_slot()

    assert (MAX_BODY_BYTES, caught.value.kind) == (8 * 1024 * 1024, "too_large")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"<html>Bad Gateway</html>", "body is not JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "body nests too deeply to be a JSON-RPC answer"),
        (b"[]", "answer is not a JSON-RPC object"),
        (b'{"jsonrpc":"2.0","id":77,"result":1}', "answer to id 1 has id int '77'"),
        (b'{"jsonrpc":"2.0","id":1}', "answer has neither result nor error"),
        (b'{"jsonrpc":"2.0","id":1,"error":"no"}', "error object without a code: 'no'"),
    ],
)
def test_it_refuses_an_answer_that_is_not_json_rpc(
    node: Node, clock: FakeClock, raw: bytes, message: str
) -> None:
    state, url = node
    state.canned = [Canned(raw=raw), _ok(1)]

    with _client(url, clock) as client, pytest.raises(SolanaRpcShapeError) as caught:
        client.get_slot()

    assert caught.value.kind == "malformed"
    assert caught.value.message.startswith(message)
    assert caught.value.attempts == 1
    assert len(state.requests) == 1


def _call_mint(client: SolanaRpcClient) -> Any:
    return client.get_mint(BONK)


def _call_signatures(client: SolanaRpcClient) -> Any:
    return client.get_signatures_for_address(BONK)


def _call_supply(client: SolanaRpcClient) -> Any:
    return client.get_token_supply(BONK)


def _call_transaction(client: SolanaRpcClient) -> Any:
    return client.get_transaction(make_signature("tx"))


def _mint_without(key: str) -> dict[str, Any]:
    answer = captured_response("getAccountInfo-jouleka-1")
    del answer["result"]["value"]["data"]["parsed"]["info"][key]
    return answer


@pytest.mark.parametrize(
    ("call", "payload", "message"),
    [
        (_call_mint, _bonk_mint(supply="-5"), f"mint {BONK}.supply: expected a decimal amount"),
        (_call_mint, _bonk_mint(supply="1e3"), f"mint {BONK}.supply: expected a decimal amount"),
        (_call_mint, _bonk_mint(supply=12.5), f"mint {BONK}.supply: expected a decimal amount"),
        (_call_mint, _bonk_mint(decimals="5"), f"mint {BONK}.decimals: expected a count"),
        (_call_mint, _bonk_mint(mintAuthority="nobody"), f"mint {BONK}.mintAuthority: expected"),
        (_call_mint, _bonk_mint(extensions={"a": 1}), f"mint {BONK}.extensions: expected a list"),
        (_call_mint, _mint_without("mintAuthority"), f"mint {BONK}.mintAuthority is missing"),
        (_call_mint, _mint_without("freezeAuthority"), f"mint {BONK}.freezeAuthority is missing"),
        (
            _call_mint,
            {"jsonrpc": "2.0", "result": {"value": None}},
            "getAccountInfo result.context is missing",
        ),
        (
            _call_mint,
            {"jsonrpc": "2.0", "result": {"context": {"slot": 1}, "value": []}},
            f"getAccountInfo {BONK}: expected an object",
        ),
        (
            _call_signatures,
            {"jsonrpc": "2.0", "result": {"signature": "x"}},
            "getSignaturesForAddress result: expected a list",
        ),
        (
            _call_signatures,
            {"jsonrpc": "2.0", "result": [{"slot": 1}]},
            "getSignaturesForAddress result[0].signature is missing",
        ),
        (
            _call_signatures,
            {"jsonrpc": "2.0", "result": [{"signature": make_signature(1), "slot": -1}]},
            "getSignaturesForAddress result[0].slot: expected a count",
        ),
        (
            _call_signatures,
            {"jsonrpc": "2.0", "result": [{"signature": BONK, "slot": 1}]},
            "getSignaturesForAddress result[0].signature: expected a signature",
        ),
        (
            _call_supply,
            {"jsonrpc": "2.0", "result": {"context": {"slot": 1}, "value": {"decimals": 5}}},
            "getTokenSupply.amount is missing",
        ),
        (
            _call_transaction,
            {"jsonrpc": "2.0", "result": {"slot": 1, "transaction": {"signatures": []}}},
            f"getTransaction {make_signature('tx')}.message is missing",
        ),
    ],
)
def test_it_raises_a_shape_error_never_a_key_error_on_a_wrong_shape(
    node: Node,
    clock: FakeClock,
    call: Callable[[SolanaRpcClient], Any],
    payload: dict[str, Any],
    message: str,
) -> None:
    state, url = node
    state.canned.append(Canned(payload=payload))

    with _client(url, clock) as client, pytest.raises(SolanaRpcShapeError) as caught:
        call(client)

    assert isinstance(caught.value, SolanaRpcError)
    assert caught.value.kind == "malformed"
    assert caught.value.message.startswith(message)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.get_account_info("not-a-mint"),
        lambda c: c.get_mint(""),
        lambda c: c.get_mint(None),
        lambda c: c.get_mint(f" {BONK}"),
        lambda c: c.get_multiple_accounts([BONK, "0OIl" * 8]),
        lambda c: c.get_token_account_balances([BONK + "1"]),
        lambda c: c.get_token_largest_accounts(BONK[:-1] + "0"),
        lambda c: c.get_token_supply(make_signature(1)),
        lambda c: c.get_token_accounts_by_owner("wallet", mint=BONK),
        lambda c: c.get_token_accounts_by_owner(BONK, mint="mint"),
        lambda c: c.get_token_accounts_by_owner(BONK, program_id="Tokenkeg"),
        lambda c: c.get_signatures_for_address("pump"),
        lambda c: c.get_signatures_for_address(BONK, before=BONK),
        lambda c: c.get_signatures_for_address(BONK, until="x"),
        lambda c: c.get_signatures_for_address(BONK, limit=0),
        lambda c: c.get_signatures_for_address(BONK, limit=1001),
        lambda c: list(c.iter_signatures(BONK, page_size=5000)),
        lambda c: c.get_transaction(BONK),
        lambda c: c.get_transaction("1" * 90),
    ],
)
def test_it_refuses_a_bad_address_or_signature_before_any_request(
    node: Node, clock: FakeClock, call: Callable[[SolanaRpcClient], Any]
) -> None:
    state, url = node

    with _client(url, clock) as client, pytest.raises(ValueError, match=r"not a Solana|limit"):
        call(client)

    assert state.requests == []


def test_it_retries_a_refused_connection_then_reports_transport(
    closed_port: int, clock: FakeClock
) -> None:
    with (
        _client(f"http://127.0.0.1:{closed_port}", clock) as client,
        pytest.raises(SolanaRpcError) as caught,
    ):
        client.get_slot()

    assert (caught.value.kind, caught.value.status, caught.value.attempts) == ("transport", None, 3)
    assert clock.sleeps == [0.5, 1.0]


def test_it_reports_each_request_to_the_observer_and_survives_its_failure(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.canned = [Canned(status=500, raw=b""), _ok(11)]
    seen: list[tuple[str, int | None, float]] = []

    def observe(method: str, status: int | None, elapsed: float) -> None:
        seen.append((method, status, elapsed))
        raise RuntimeError("metrics backend down")

    with _client(url, clock, on_request=observe) as client:
        assert client.get_slot() == 11

    assert [(method, status) for method, status, _ in seen] == [("getSlot", 500), ("getSlot", 200)]
    assert all(0 <= elapsed < 5 for _, _, elapsed in seen)


# Budget


def test_it_sends_nothing_when_the_budget_has_no_token_in_time(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.results["getSlot"] = lambda params: 1
    limiter = LocalTokenBucket(1, clock=clock, sleep=clock.sleep)

    with _client(url, clock, limiter=limiter, acquire_timeout=5.0) as client:
        assert client.get_slot() == 1
        with pytest.raises(SolanaRpcError) as caught:
            client.get_slot()

    assert (caught.value.kind, caught.value.attempts, caught.value.status) == (
        "rate_limited",
        0,
        None,
    )
    assert caught.value.message == ("rate limit: next token in 60.00s, more than max_wait 5.00s")
    assert len(state.requests) == 1


def test_it_pays_each_request_from_its_methods_bucket_and_the_overall_one(
    node: Node, clock: FakeClock
) -> None:
    state, url = node
    state.results["getSlot"] = lambda params: 1
    state.results["getTokenSupply"] = lambda params: captured_response("getTokenSupply-jouleka-1")[
        "result"
    ]
    overall = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)
    slots = LocalTokenBucket(6000, clock=clock, sleep=clock.sleep)
    asked: list[str] = []

    def limiter_for(method: str) -> LocalTokenBucket:
        asked.append(method)
        return slots if method == "getSlot" else overall

    with _client(url, clock, limiter=overall, limiter_for=limiter_for) as client:
        client.get_slot()
        client.get_slot()
        client.get_token_supply(BONK)

    assert asked == ["getSlot", "getSlot", "getTokenSupply"]
    assert (slots.usage().used_last_minute, overall.usage().used_last_minute) == (2, 3)


def test_it_needs_a_budget_and_a_known_commitment() -> None:
    with pytest.raises(ValueError, match="needs a request budget"):
        SolanaRpcClient("http://127.0.0.1:9")
    with pytest.raises(ValueError, match="commitment"):
        SolanaRpcClient("http://127.0.0.1:9", limiter=LocalTokenBucket(60), commitment="processed")


def test_it_turns_requests_per_second_into_bucket_rates() -> None:
    assert [rate_for_rps(rps) for rps in (8, 3.5, 1, 0.1)] == [
        (480, 8),
        (210, 3),
        (60, 1),
        (6, 1),
    ]
    for rps in (0, -1, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="must be positive"):
            rate_for_rps(rps)


def test_it_builds_redis_shared_buckets_for_every_method(redis_url: str, key_prefix: str) -> None:
    budget = build_rpc_budget(redis_url, key_prefix=key_prefix)

    assert isinstance(budget.overall, RedisTokenBucket)
    assert (budget.overall.rpm, budget.overall.burst, budget.overall.key_prefix) == (
        480,
        8,
        f"{key_prefix}:all",
    )
    assert sorted(budget.per_method) == sorted(METHODS)
    transactions = budget.per_method["getTransaction"]
    assert isinstance(transactions, RedisTokenBucket)
    assert (transactions.rpm, transactions.burst, transactions.key_prefix) == (
        210,
        3,
        f"{key_prefix}:getTransaction",
    )
    transactions.acquire(0)
    assert transactions.usage().used_last_minute == 1
    assert budget.per_method["getSlot"].usage().used_last_minute == 0


def test_it_builds_process_local_buckets_without_a_reachable_redis(closed_port: int) -> None:
    for url in (None, f"redis://127.0.0.1:{closed_port}/0"):
        budget = build_rpc_budget(url, rps=2, method_rps=1)

        assert isinstance(budget.overall, LocalTokenBucket)
        assert (budget.overall.rpm, budget.overall.burst) == (120, 2)
        bucket = budget.per_method["getSignaturesForAddress"]
        assert isinstance(bucket, LocalTokenBucket)
        assert (bucket.rpm, bucket.burst) == (60, 1)


def _run_workers(configs: list[dict[str, Any]], *, together: bool) -> list[list[list[Any]]]:
    start_at = time.time() + 2.0
    outputs = []
    processes = []
    for config in configs:
        command = [
            sys.executable,
            "-m",
            "tests.ingestion.clients.solana_node",
            json.dumps({**config, "start_at": start_at}),
        ]
        process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)
        if not together:
            outputs.append(json.loads(process.communicate(timeout=30)[0]))
        processes.append(process)
    if together:
        outputs = [json.loads(process.communicate(timeout=30)[0]) for process in processes]
    assert [process.returncode for process in processes] == [0] * len(configs)
    return outputs


def test_it_shares_each_methods_budget_between_two_processes(
    node: Node, redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    state, url = node
    state.results["getSlot"] = lambda params: 1
    state.results["getTokenSupply"] = lambda params: captured_response("getTokenSupply-jouleka-1")[
        "result"
    ]
    # 6 a minute with a burst of 3: a fourth request would wait 10 s, far past the 0.2 s allowed.
    config = {
        "url": url,
        "redis_url": redis_url,
        "prefix": key_prefix,
        "rpm": 6,
        "burst": 3,
        "acquire_timeout": 0.2,
        "calls": [["getSlot", 4], ["getTokenSupply", 2]],
    }

    outputs = _run_workers([config, config], together=True)

    outcomes = [outcome for output in outputs for outcome in output]
    assert sorted(state.methods) == ["getSlot"] * 3 + ["getTokenSupply"] * 3
    assert sorted(tuple(o[:3]) for o in outcomes) == sorted(
        [("getSlot", "ok", 1)] * 3
        + [("getSlot", "rate_limited", 0)] * 5
        + [("getTokenSupply", "ok", 1)] * 3
        + [("getTokenSupply", "rate_limited", 0)]
    )
    for method in ("getSlot", "getTokenSupply"):
        shared = RedisTokenBucket(redis_client, f"{key_prefix}:{method}", 6, burst=3)
        assert shared.usage().used_last_minute == 3


def test_it_makes_a_429_seen_by_one_process_hold_back_the_other(
    node: Node, redis_url: str, key_prefix: str, redis_client: redis.Redis
) -> None:
    state, url = node
    state.canned.append(Canned(status=429, raw=b"", headers={"Retry-After": "30"}))
    state.results["getSlot"] = lambda params: 1
    config = {
        "url": url,
        "redis_url": redis_url,
        "prefix": key_prefix,
        "rpm": 600,
        "burst": 10,
        "acquire_timeout": 0.2,
        "calls": [["getSlot", 1]],
    }

    first, second = _run_workers([config, config], together=False)

    assert first == [["getSlot", "rate_limited", 1, 429]]
    assert second == [["getSlot", "rate_limited", 0, None]]
    assert state.methods == ["getSlot"]
    blocked = RedisTokenBucket(redis_client, f"{key_prefix}:getSlot", 600).usage().blocked_until
    assert blocked is not None
    assert 25 < blocked - time.time() <= 30


# Errors and addresses without a server


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (-32005, "Node is behind by 59093 slots", "node_behind"),
        (-32004, "Block not available for slot 5", "node_behind"),
        (-32603, "account index service overloaded, please try again.", "internal"),
        (-32429, "slow down", "rate_limited"),
        (429, "Too many requests for a specific RPC call", "rate_limited"),
        (-32000, "Rate limit exceeded for this key", "rate_limited"),
        (-32007, "Slot 1 was skipped", "pruned"),
        (-32009, "Slot 1 was skipped, or missing in long-term storage", "pruned"),
        (-32010, "excluded from account secondary indexes", "unsupported"),
        (-32602, "Invalid param: could not find account", "invalid"),
        (-32600, "Invalid request", "invalid"),
        (-32000, "Something else", "rpc"),
    ],
)
def test_it_classifies_json_rpc_error_codes(code: int, message: str, kind: str) -> None:
    assert classify_rpc_error(code, message) == kind


def test_it_accepts_only_canonical_addresses() -> None:
    valid = [BONK, "11111111111111111111111111111111", TOKEN_2022_PROGRAM]
    invalid = ["", "1" * 31, "1" * 33, "0OIl" * 8, f"{BONK} ", BONK.lower(), None, 42, "x" * 500]

    assert [is_valid_address(text) for text in valid] == [True] * 3
    assert [is_valid_address(text) for text in invalid] == [False] * len(invalid)
    assert parse_address(BONK) == BONK
    with pytest.raises(ValueError, match="not a Solana address: 'pump'"):
        parse_address("pump")


def test_it_accepts_only_transaction_signatures() -> None:
    signature = make_signature("s")

    assert parse_signature(signature) == signature
    assert [is_valid_signature(text) for text in (signature, BONK, "1" * 63, None, "")] == [
        True,
        False,
        False,
        False,
        False,
    ]


def test_it_tells_program_derived_addresses_from_wallets() -> None:
    pump_global = "4wTV1YmiEkRvAtNtsSGPtUrqRYQMe5SKy2uB4Jjaxnjf"
    migration_wallet = "39azUYFWPz3VHgKCf3VChUwbpURdCHRxjWVowf5jUJjg"

    assert (is_on_curve(pump_global), is_on_curve(migration_wallet)) == (False, True)
    with pytest.raises(ValueError, match="not a Solana address"):
        is_on_curve("nope")


def test_it_imports_no_django_and_no_other_moon_package() -> None:
    code = (
        "import sys, ingestion.clients.solana_rpc, ingestion.clients.solana_address; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('django', 'moon', 'tokens', 'scoring') or "
        "(m.startswith('ingestion.') and not m.startswith('ingestion.clients'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )

    assert result.stdout.strip() == "[]"
