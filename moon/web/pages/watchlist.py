"""The dashboard's watchlist: pinned tokens on top. A signed-in user's lives in the database;
an anonymous browser's in a cookie, merged into the user's list at sign-in."""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from moon.lib.solana import is_address
from tokens.models import Token
from tokens.services.watchlist import (
    WATCHLIST_LIMIT,
    WatchlistFull,
    watchlist_merge,
    watchlist_mints,
    watchlist_set,
)

COOKIE = "moon_watch"
COOKIE_SECONDS = 365 * 24 * 3600
SEPARATOR = "."  # not a base58 character


def cookie_mints(request: HttpRequest) -> list[str]:
    """The browser's watchlist: the well-formed mints of its cookie, in order, at most
    WATCHLIST_LIMIT."""
    raw = request.COOKIES.get(COOKIE, "")
    mints = [m for m in dict.fromkeys(raw.split(SEPARATOR)) if m and is_address(m)]
    return mints[:WATCHLIST_LIMIT]


def watched_mints(request: HttpRequest) -> list[str]:
    user = request.user
    if user.is_authenticated:
        return watchlist_mints(user=user)
    return cookie_mints(request)


@require_POST
def watch(request: HttpRequest, mint: str) -> HttpResponse:
    """Pin (watch=1, the default) or unpin (watch=0) a token. An htmx call gets 204 and the
    `watchlist` event, on which the table reads itself again; a plain form post goes back."""
    wanted = request.POST.get("watch", "1") != "0"
    htmx = bool(getattr(request, "htmx", False))
    response: HttpResponse = HttpResponse(status=204) if htmx else redirect(_back(request))
    error: tuple[int, str] | None = None  # status and message
    if request.user.is_authenticated:
        # The browser's list joined the user's at sign-in: from now on the user's is the one.
        if COOKIE in request.COOKIES:
            _set_cookie(response, [])
        try:
            watchlist_set(user=request.user, mint=mint, watched=wanted)
        except Token.DoesNotExist:
            error = (404, "No such token.")
        except WatchlistFull as exc:
            error = (409, str(exc))
    elif not Token.objects.filter(mint_address=mint).exists():
        error = (404, "No such token.")
    else:
        mints = [m for m in cookie_mints(request) if m != mint]
        if wanted and len(mints) >= WATCHLIST_LIMIT:
            error = (409, f"A watchlist holds {WATCHLIST_LIMIT} tokens at most.")
        else:
            _set_cookie(response, [*mints, mint] if wanted else mints)
    if error is not None:
        if htmx:
            return HttpResponse(error[1], status=error[0], content_type="text/plain")
        messages.error(request, error[1])
        return response
    if htmx:
        response["HX-Trigger"] = "watchlist"
    return response


def _set_cookie(response: HttpResponse, mints: list[str]) -> None:
    if mints:
        response.set_cookie(
            COOKIE,
            SEPARATOR.join(mints),
            max_age=COOKIE_SECONDS,
            samesite="Lax",
            httponly=True,
            secure=settings.SESSION_COOKIE_SECURE,
        )
    else:
        response.delete_cookie(COOKIE, samesite="Lax")


def _back(request: HttpRequest) -> str:
    """The page the pin came from: a path of this site, never elsewhere."""
    target = request.POST.get("next", "")
    safe = target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "/"


@receiver(user_logged_in, dispatch_uid="moon.watchlist.merge")
def merge_browser_watchlist(sender: Any, request: HttpRequest | None, user: Any, **_: Any) -> None:
    """Signing in keeps what this browser pinned: its cookie's tokens join the user's list."""
    if request is not None:
        watchlist_merge(user=user, mints=cookie_mints(request))
