"""Reads of tokens and their pools, shared by the pages and the API."""

from django.db.models import F, Prefetch

from tokens.models import Pool, Token


def pools_by_liquidity() -> Prefetch[str]:
    """Prefetch of a token's pools, most liquid first (one query for a whole page of tokens)."""
    return Prefetch(
        "pools", queryset=Pool.objects.order_by(F("liquidity_usd").desc(nulls_last=True), "id")
    )


def token_by_mint(mint: str) -> Token | None:
    """The token of `mint`, whatever its status (archived tokens keep their page)."""
    return Token.objects.filter(mint_address=mint).first()


def token_pools(*, token: Token) -> list[Pool]:
    """Every pool of `token`, the most liquid first, kept or not."""
    return list(token.pools.order_by(F("liquidity_usd").desc(nulls_last=True), "id"))
