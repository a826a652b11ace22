"""Token API views: parse the request, call a selector or the task queue, render."""

import json
from collections.abc import Mapping
from typing import Any

from django.db.models import Case, When
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ingestion.selectors import risk_check_of
from moon.lib.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    Conflict,
    InvalidMint,
    StaffOrApiToken,
    errors,
)
from moon.lib.apiview import ApiView
from moon.lib.solana import is_address
from moon.web.api.paging import (
    MAX_SNAPSHOT_TOKENS,
    CursorError,
    cursor_decode,
    cursor_encode,
    ranking_freeze,
    ranking_page,
)
from moon.web.api.rows import rendered_rows
from moon.web.api.serializers import (
    PoolSerializer,
    RefreshQueuedSerializer,
    SnapshotSerializer,
    TokenDetailQuerySerializer,
    TokenDetailSerializer,
    TokenListQuerySerializer,
    TokenPageSerializer,
    TokenPoolsSerializer,
    TokenSerializer,
)
from scoring.models import ScoringSettings
from scoring.selectors import TokenFilters, token_list, token_snapshots
from scoring.services.enqueue import token_refresh_enqueue
from tokens.models import Token
from tokens.selectors import token_by_mint, token_pools

EXAMPLE_MINT = "9BB6NFEcjBCtnNLFko2FqVQBq8HHM13kCyYcdQbgpump"
MINT = OpenApiParameter(
    "mint",
    OpenApiTypes.STR,
    OpenApiParameter.PATH,
    description="The token's mint address (base58, 32 bytes). Malformed: 400; unknown: 404.",
    pattern=r"^[1-9A-HJ-NP-Za-km-z]{32,44}$",
    examples=[OpenApiExample("a pump.fun mint", value=EXAMPLE_MINT)],
)


def token_or_error(mint: str) -> Token:
    if not is_address(mint):
        raise InvalidMint(mint)
    token = token_by_mint(mint)
    if token is None:
        raise exceptions.NotFound(f"No token with mint {mint}.")
    return token


def token_filters(query: Mapping[str, Any]) -> TokenFilters:
    """The list's filters; `hot` against the active settings, which the query reads itself."""
    return TokenFilters(
        statuses=tuple(query.get("status") or ()),
        min_score=query.get("min_score"),
        search=query.get("search", ""),
        fresh_hours=query.get("fresh_hours"),
        hot_only=query["hot"],
        sort=query["sort"],
        flags=tuple(query.get("flags") or ()),
        exclude_flags=tuple(query.get("exclude_flags") or ()),
        hide_risky=query["hide_risky"],
    )


class TokenListView(ApiView):
    query_serializer = TokenListQuerySerializer
    query_lists = ("status", "flags", "exclude_flags")

    @extend_schema(
        operation_id="tokens_list",
        summary="Tokens, filtered and sorted",
        description="Offset paging by default, without a total count: `next` is null on the "
        "last page. A ranking that moves between requests can repeat or skip tokens across "
        "offset pages; `paging=cursor` freezes it at the first page instead. One database "
        "query whatever the page size (it reads the active settings' hot line itself).",
        parameters=[TokenListQuerySerializer],
        responses={200: TokenPageSerializer, **errors(400, *READ_ERRORS)},
    )
    def get(self, request: Request) -> HttpResponse:
        query = self.query(request)
        if query["paging"] == "cursor":
            return self._cursor_page(request, query)
        limit, offset = query["limit"], query["offset"]
        # One row more than the page tells whether a next page exists without a COUNT.
        rows = rendered_rows(token_list(token_filters(query))[offset : offset + limit + 1])
        url = request.build_absolute_uri()
        return page_response(
            next_url=replace_query_param(url, "offset", offset + limit)
            if len(rows) > limit
            else None,
            previous_url=_previous(url, offset, limit),
            limit=limit,
            offset=offset,
            rows=rows[:limit],
        )

    def _cursor_page(self, request: Request, query: Mapping[str, Any]) -> HttpResponse:
        limit = query["limit"]
        try:
            if "cursor" in query:
                key, position = cursor_decode(query["cursor"])
            else:
                ranking = token_list(token_filters(query)).values_list("pk", flat=True)
                key, position = ranking_freeze(ranking[:MAX_SNAPSHOT_TOKENS]), 0
            ids, more = ranking_page(key, position, limit)
        except CursorError as exc:
            raise exceptions.ValidationError({"cursor": [str(exc)]}) from exc
        order = Case(*(When(pk=pk, then=n) for n, pk in enumerate(ids)), default=len(ids))
        tokens = Token.objects.filter(pk__in=ids).order_by(order)
        url = remove_query_param(request.build_absolute_uri(), "offset")
        next_cursor = cursor_encode(key, position + limit)
        return page_response(
            next_url=replace_query_param(url, "cursor", next_cursor) if more else None,
            previous_url=None,
            limit=limit,
            offset=position,
            rows=rendered_rows(tokens) if ids else [],
        )


def page_response(
    *, next_url: str | None, previous_url: str | None, limit: int, offset: int, rows: list[str]
) -> HttpResponse:
    """A TokenPageSerializer answer around rows already rendered as JSON text."""
    head = json.dumps(
        {"next": next_url, "previous": previous_url, "limit": limit, "offset": offset}
    )
    body = f'{head[:-1]}, "results": [{", ".join(rows)}]}}'
    return HttpResponse(body.encode(), content_type="application/json")


def _hot(min_score: float) -> dict[str, float]:
    return {"min_score": min_score}


def _previous(url: str, offset: int, limit: int) -> str | None:
    if offset <= 0:
        return None
    if offset - limit <= 0:
        return remove_query_param(url, "offset")
    return replace_query_param(url, "offset", offset - limit)


class TokenDetailView(ApiView):
    query_serializer = TokenDetailQuerySerializer

    @extend_schema(
        operation_id="tokens_retrieve",
        summary="One token, its latest snapshot and its history",
        parameters=[MINT, TokenDetailQuerySerializer],
        responses={200: TokenDetailSerializer, **errors(400, 404, *READ_ERRORS)},
    )
    def get(self, request: Request, mint: str) -> Response:
        token = token_or_error(mint)
        history_limit = self.query(request)["history_limit"]
        snapshots = token_snapshots(token=token, limit=max(history_limit, 1))
        min_score = ScoringSettings.objects.active().min_score
        data = TokenSerializer(token, context=_hot(min_score)).data
        check = risk_check_of(token)
        return Response(
            {
                **data,
                "risk": {
                    **data["risk"],
                    "creator": check.creator if check else "",
                    "facts": check.facts if check else {},
                },
                "latest": SnapshotSerializer(snapshots[0]).data if snapshots else None,
                "history": SnapshotSerializer(snapshots[:history_limit], many=True).data,
            }
        )


class TokenPoolsView(ApiView):
    @extend_schema(
        operation_id="tokens_pools",
        summary="A token's DexScreener pools",
        parameters=[MINT],
        responses={200: TokenPoolsSerializer, **errors(400, 404, *READ_ERRORS)},
    )
    def get(self, request: Request, mint: str) -> Response:
        token = token_or_error(mint)
        pools = PoolSerializer(token_pools(token=token), many=True).data
        return Response({"mint_address": token.mint_address, "results": pools})


class TokenRefreshView(ApiView):
    permission_classes = [StaffOrApiToken]

    @extend_schema(
        operation_id="tokens_refresh",
        summary="Queue a refresh of one token",
        description="Queues `scoring.refresh_batch` for the token and answers at once with the "
        "Celery task id, to follow at `/api/tasks/<task_id>/`. Needs a staff session (with "
        "CSRF) or an API token; throttled by the `write` rate.",
        parameters=[MINT],
        request=None,
        responses={
            202: RefreshQueuedSerializer,
            **errors(*WRITE_ERRORS, 404, 409, 503),
        },
        examples=[
            OpenApiExample(
                "queued",
                value={
                    "task_id": "0b7f3a52-5d6e-4c1e-9a55-1f0c2d3e4f5a",
                    "status": "queued",
                    "mint_address": EXAMPLE_MINT,
                },
                response_only=True,
                status_codes=["202"],
            )
        ],
    )
    def post(self, request: Request, mint: str) -> Response:
        token = token_or_error(mint)
        if token.status == Token.Status.ARCHIVED:
            raise Conflict("Archived tokens are not refreshed.", code="token_archived")
        task_id = token_refresh_enqueue(token=token)
        body = {"task_id": task_id, "status": "queued", "mint_address": token.mint_address}
        return Response(body, status=status.HTTP_202_ACCEPTED)
