"""The base of every moon API view, and the answers for what no view handles.

Kept apart from moon.lib.api: DRF imports that module (the throttles) while it is still
importing rest_framework.views, which this one needs.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse, QueryDict
from django.views.defaults import server_error as page_server_error
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from moon.lib.api import RATE_LIMIT_ATTRIBUTE, RateLimit, error_payload, query_data


class ApiView(APIView):
    """Refuses query parameters it does not know (400 naming them), and tells every client
    where it stands against its throttles (RateLimit-Limit, -Remaining, -Reset)."""

    query_serializer: type[serializers.Serializer[Any]] | None = None
    query_lists: tuple[str, ...] = ()  # parameters that keep every value they are given

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        known = _parameter_names(self.query_serializer)
        unknown = sorted(set(request.query_params) - known)
        if unknown:
            hint = f"known: {', '.join(sorted(known))}" if known else "this one takes none"
            raise exceptions.ValidationError(
                {name: [f"Unknown query parameter ({hint})."] for name in unknown}
            )

    def query(self, request: Request) -> Mapping[str, Any]:
        """The query parameters as query_serializer validates them (400 when it refuses)."""
        assert self.query_serializer is not None
        query_string = request.META.get("QUERY_STRING", "")
        return _validated_query(self.query_serializer, query_string, self.query_lists)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        rate: RateLimit | None = getattr(request, RATE_LIMIT_ATTRIBUTE, None)
        if rate is not None:
            response["RateLimit-Limit"] = str(rate.limit)
            response["RateLimit-Remaining"] = str(rate.remaining)
            response["RateLimit-Reset"] = str(rate.reset)
        return response


@functools.cache
def _parameter_names(serializer: type[serializers.Serializer[Any]] | None) -> frozenset[str]:
    """The query parameters a serializer reads (its fields are deep-copied per instance)."""
    return frozenset(serializer().fields) if serializer is not None else frozenset()


@functools.lru_cache(maxsize=1024)
def _validated_query(
    serializer: type[serializers.Serializer[Any]], query_string: str, lists: tuple[str, ...]
) -> Mapping[str, Any]:
    """Validation is a function of the query string alone, and a dashboard or an integrator
    polls the same few: each is validated once per process (a refusal raises, and is never
    kept). Read-only, lists as tuples, since every request shares the answer."""
    checked = serializer(data=query_data(QueryDict(query_string), lists=lists))
    checked.is_valid(raise_exception=True)
    frozen = {k: tuple(v) if isinstance(v, list) else v for k, v in checked.validated_data.items()}
    return MappingProxyType(frozen)


class NotFoundView(ApiView):
    """Any path under /api/ that names nothing: a 404 in the error shape, whatever the method."""

    permission_classes: list[Any] = []

    @extend_schema(exclude=True)
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        raise exceptions.NotFound(f"No API endpoint at {request.path}; see /api/docs/.")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the API's error shape under /api/, the plain page elsewhere."""
    if request.path.startswith("/api/"):
        body = error_payload("server_error", "Something went wrong on our side.")
        return JsonResponse(body, status=500)
    return page_server_error(request)
