"""GET /api/tasks/<id>/: where a refresh or a recalculation queued through the API stands."""

from datetime import UTC, datetime
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from moon.lib.api import READ_ERRORS, errors
from moon.lib.apiview import ApiView
from moon.lib.queue import task_status

STATES = ["PENDING", "STARTED", "PROGRESS", "RETRY", "SUCCESS", "FAILURE", "REVOKED"]


class TaskStatusSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField()
    name = serializers.CharField(help_text="`scoring.refresh_batch` or `scoring.recalculate`.")
    state = serializers.ChoiceField(
        choices=STATES,
        help_text="PENDING: queued, not started yet; PROGRESS: a recalculation under way "
        "(`result` holds done/total); SUCCESS: `result` holds its answer; FAILURE: `error`.",
    )
    ready = serializers.BooleanField(help_text="True once it succeeded, failed or was revoked.")
    queued_at = serializers.DateTimeField()
    result = serializers.JSONField(allow_null=True)
    error = serializers.CharField(help_text="Empty unless it failed.")


class TaskStatusView(ApiView):
    @extend_schema(
        operation_id="tasks_retrieve",
        summary="A queued refresh or recalculation: its state and result",
        description="For the `task_id` a refresh or recalculation answered with, during the "
        "hour after it was queued.",
        parameters=[OpenApiParameter("task_id", str, OpenApiParameter.PATH)],
        responses={200: TaskStatusSerializer, **errors(404, *READ_ERRORS)},
    )
    def get(self, request: Request, task_id: str) -> Response:
        status = task_status(task_id) if len(task_id) <= 64 else None
        if status is None:
            raise exceptions.NotFound(
                f"No task {task_id!r} was queued through the API in the last hour."
            )
        body = {
            "task_id": status.task_id,
            "name": status.name,
            "state": status.state,
            "ready": status.ready,
            "queued_at": datetime.fromtimestamp(status.queued_at, UTC),
            "result": status.result,
            "error": status.error,
        }
        return Response(TaskStatusSerializer(body).data)
