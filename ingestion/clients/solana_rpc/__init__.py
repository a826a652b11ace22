"""Solana JSON-RPC 2.0 client: the few reads moon makes on chain, typed, inside shared budgets.

Answers become small frozen dataclasses: token amounts arrive as decimal strings and leave as
ints, key order never matters, an optional field may be absent, and anything else that does not
have the documented shape raises ``SolanaRpcShapeError`` instead of a KeyError deep in a caller.
Transient failures (timeouts, 429s, 5xx, a node behind or overloaded) are retried with capped
exponential backoff inside a per-call deadline; what is permanent for a call (bad params, a
method the node does not serve for that key, history it does not keep) fails at once. Every
request is paid for first from its method's bucket and then from the overall one.

``errors`` sorts failures into kinds, ``shapes`` holds the typed answers, ``decode`` reads the
node's JSON into them, ``budget`` builds the shared buckets, ``transport`` sends one request
under the budget and the retry rules, ``client`` is the methods.
"""

from .budget import (
    DEFAULT_RPS,
    METHODS,
    PUBLIC_METHOD_RPS,
    RpcBudget,
    build_rpc_budget,
    rate_for_rps,
)
from .client import MAX_KEYS_PER_CALL, MAX_SIGNATURES_PER_PAGE, SolanaRpcClient
from .decode import parse_mint, parse_token_account
from .errors import (
    RETRIED_KINDS,
    ErrorKind,
    SolanaRpcError,
    SolanaRpcShapeError,
    classify_rpc_error,
)
from .shapes import (
    TOKEN_2022_PROGRAM,
    TOKEN_PROGRAM,
    TOKEN_PROGRAMS,
    AccountInfo,
    MintAccount,
    ParsedTransaction,
    SignatureInfo,
    TokenAccountBalance,
    TokenSupply,
)
from .transport import (
    DEFAULT_DEADLINE,
    DEFAULT_PENALTY,
    DEFAULT_TIMEOUT,
    DEFAULT_URL,
    MAX_BODY_BYTES,
    MAX_DEFAULT_PENALTY,
    MAX_ERROR_BODY_BYTES,
    MIN_PENALTY,
    Commitment,
    LimiterSource,
    RequestObserver,
    RpcTransport,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_PENALTY",
    "DEFAULT_RPS",
    "DEFAULT_TIMEOUT",
    "DEFAULT_URL",
    "MAX_BODY_BYTES",
    "MAX_DEFAULT_PENALTY",
    "MAX_ERROR_BODY_BYTES",
    "MAX_KEYS_PER_CALL",
    "MAX_SIGNATURES_PER_PAGE",
    "METHODS",
    "MIN_PENALTY",
    "PUBLIC_METHOD_RPS",
    "RETRIED_KINDS",
    "TOKEN_2022_PROGRAM",
    "TOKEN_PROGRAM",
    "TOKEN_PROGRAMS",
    "AccountInfo",
    "Commitment",
    "ErrorKind",
    "LimiterSource",
    "MintAccount",
    "ParsedTransaction",
    "RequestObserver",
    "RpcBudget",
    "RpcTransport",
    "SignatureInfo",
    "SolanaRpcClient",
    "SolanaRpcError",
    "SolanaRpcShapeError",
    "TokenAccountBalance",
    "TokenSupply",
    "build_rpc_budget",
    "classify_rpc_error",
    "parse_mint",
    "parse_token_account",
    "rate_for_rps",
]
