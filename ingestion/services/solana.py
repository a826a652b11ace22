"""The process's Solana JSON-RPC client, with one request budget shared through Redis."""

import functools

from django.conf import settings

from ingestion.clients.solana_rpc import SolanaRpcClient, build_rpc_budget
from moon.lib.counters import solana_rpc_request_observe

SOLANA_BUDGET_PREFIX = "moon:solana-rpc"


@functools.cache
def solana_rpc_client() -> SolanaRpcClient:
    """One client per process; every process pays from the same Redis buckets (overall and per
    method), so the public endpoint's per-IP limits hold for the whole deployment."""
    budget = build_rpc_budget(
        settings.REDIS_URL, settings.SOLANA_RPC_RPS, key_prefix=SOLANA_BUDGET_PREFIX
    )
    return SolanaRpcClient(
        settings.SOLANA_RPC_URL,
        limiter=budget.overall,
        limiter_for=budget.per_method,
        on_request=solana_rpc_request_observe,
    )
