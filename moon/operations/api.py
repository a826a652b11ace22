"""GET /api/logs/: the recent log records of every process, for staff."""

from typing import Any

import redis
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from moon.lib.apiview import ApiView
from moon.operations.logstore import MAX_LIMIT, MAX_RECORDS, log_records

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LogQuerySerializer(serializers.Serializer[Any]):
    level = serializers.CharField(
        required=False,
        help_text="Minimum level, any case: DEBUG, INFO, WARNING, ERROR or CRITICAL.",
    )
    logger = serializers.CharField(
        required=False,
        max_length=200,
        help_text="A logger and its children, e.g. `scoring`.",
    )
    text = serializers.CharField(
        required=False,
        max_length=200,
        help_text="Contained in the message, any case.",
    )
    since = serializers.DateTimeField(
        required=False, help_text="ISO 8601 time: records logged at or after it."
    )
    limit = serializers.IntegerField(
        required=False,
        default=200,
        min_value=1,
        max_value=MAX_LIMIT,
        help_text="At most this many.",
    )

    def validate_level(self, value: str) -> str:
        if value.upper() not in LEVELS:
            raise serializers.ValidationError(f"Give one of {', '.join(LEVELS)}.")
        return value.upper()


class LogRecordSerializer(serializers.Serializer[Any]):
    """One record as every process logs it to stdout; `extra` fields appear as more keys."""

    time = serializers.CharField(help_text="ISO 8601, UTC, milliseconds.")
    level = serializers.ChoiceField(choices=LEVELS)
    levelno = serializers.IntegerField()
    logger = serializers.CharField()
    message = serializers.CharField()
    process = serializers.CharField(help_text="web, worker, beat, listener, ...")
    pid = serializers.IntegerField()
    ts = serializers.FloatField(help_text="Epoch seconds.")
    exc_info = serializers.CharField(required=False, help_text="The traceback, when there is one.")


class LogListSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    results = LogRecordSerializer(many=True)


class LogRecordsView(ApiView):
    permission_classes = [IsAdminUser]
    query_serializer = LogQuerySerializer

    @extend_schema(
        operation_id="logs_list",
        summary="Recent log records of every process (staff)",
        description=(
            f"The newest first, from a store that keeps the last {MAX_RECORDS} records of the "
            "web, worker, beat and listener processes."
        ),
        parameters=[LogQuerySerializer],
        responses={
            200: LogListSerializer,
            400: OpenApiResponse(description="A query parameter was refused."),
            401: OpenApiResponse(description="No credentials: a staff session or API token."),
            403: OpenApiResponse(description="Not a staff user."),
            503: OpenApiResponse(description="The log store (Redis) does not answer."),
        },
        tags=["operations"],
    )
    def get(self, request: Request) -> Response:
        # A blank parameter is an error, as the schema says, not a missing one.
        blank = sorted(name for name, value in request.query_params.items() if value == "")
        if blank:
            raise serializers.ValidationError({name: ["May not be blank."] for name in blank})
        query = LogQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        try:
            records = log_records(**query.validated_data)
        except redis.RedisError as exc:
            body = {"error": {"code": "log_store_unavailable", "message": str(exc), "fields": {}}}
            return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"count": len(records), "results": records})
