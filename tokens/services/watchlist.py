"""A signed-in user's watchlist: the tokens pinned to the top of their dashboard."""

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import transaction

from tokens.models import Token, WatchedToken

WATCHLIST_LIMIT = 50  # pinned rows above the ranking; more would bury it


class WatchlistFull(Exception):
    pass


def watchlist_mints(*, user: User) -> list[str]:
    """The mints `user` watches, oldest pin first."""
    return list(
        WatchedToken.objects.filter(user=user)
        .order_by("created_at", "id")
        .values_list("token__mint_address", flat=True)
    )


def watchlist_set(*, user: User, mint: str, watched: bool) -> bool:
    """Pin (`watched`) or unpin the token of `mint`; answers whether it is watched now.
    Raises Token.DoesNotExist for an unknown mint, WatchlistFull past WATCHLIST_LIMIT."""
    token = Token.objects.get(mint_address=mint)
    with transaction.atomic():
        if not watched:
            WatchedToken.objects.filter(user=user, token=token).delete()
            return False
        if WatchedToken.objects.filter(user=user, token=token).exists():
            return True
        if WatchedToken.objects.filter(user=user).count() >= WATCHLIST_LIMIT:
            raise WatchlistFull(f"A watchlist holds {WATCHLIST_LIMIT} tokens at most.")
    # A double tap may have pinned it meanwhile: that is the wanted state too.
    WatchedToken.objects.get_or_create(user=user, token=token)
    return True


def watchlist_merge(*, user: User, mints: Iterable[str]) -> None:
    """Add the known tokens of `mints` (a browser's list, at sign-in) to `user`'s watchlist,
    within the limit."""
    have = set(watchlist_mints(user=user))
    room = WATCHLIST_LIMIT - len(have)
    wanted = [mint for mint in dict.fromkeys(mints) if mint not in have][: max(room, 0)]
    tokens = Token.objects.filter(mint_address__in=wanted)
    WatchedToken.objects.bulk_create(
        [WatchedToken(user=user, token=token) for token in tokens], ignore_conflicts=True
    )
