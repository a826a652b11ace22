"""Scoring API: the active settings (read, staff change) and the staff recalculation."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS as DJANGO_NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAdminUser, IsAuthenticatedOrReadOnly
from rest_framework.request import Request
from rest_framework.response import Response

from moon.lib.api import (
    NON_FIELD_ERRORS,
    READ_ERRORS,
    WRITE_ERRORS,
    ReadOrStaff,
    StrictCharField,
    StrictFloatField,
    errors,
)
from moon.lib.apiview import ApiView
from moon.lib.security import BoundedJSONParser
from scoring.models import ScoringSettings, validate_alpha
from scoring.services.enqueue import recalculation_enqueue
from scoring.services.settings import EDITABLE_FIELDS, scoring_settings_save

MAX_RETENTION_DAYS = 3650


@extend_schema_field(
    {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 1, "example": 0.3}
)
class AlphaField(StrictFloatField):
    """EWMA alpha, 0 < a <= 1."""


class ScoringSettingsSerializer(serializers.ModelSerializer[ScoringSettings]):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.FloatField: StrictFloatField,
        models.CharField: StrictCharField,
    }
    ewma_alpha = AlphaField(
        validators=[validate_alpha], help_text="EWMA weight of the newest value."
    )
    snapshot_retention_days = serializers.IntegerField(
        min_value=1, max_value=MAX_RETENTION_DAYS, help_text="Snapshots older are thinned."
    )
    created_by = serializers.SerializerMethodField(
        help_text="Who saved this version, shown to staff only (null: a migration or a "
        "script, or the reader is not staff)."
    )

    class Meta:
        model = ScoringSettings
        fields = ["version", "created_at", "created_by", "note", *EDITABLE_FIELDS]
        read_only_fields = ["version", "created_at"]

    def get_created_by(self, settings: ScoringSettings) -> str | None:
        """Staff names are not for anonymous readers: they are half of a login."""
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if settings.created_by is None or not getattr(user, "is_staff", False):
            return None
        return settings.created_by.get_username()


class TaskQueuedSerializer(serializers.Serializer[Any]):
    task_id = serializers.CharField(help_text="Celery task id; its state reports progress.")
    status = serializers.ChoiceField(choices=["queued"])


class ScoringSettingsView(ApiView):
    # IsAuthenticatedOrReadOnly first: anonymous writes answer 401, and the schema shows the
    # read as public.
    permission_classes = [IsAuthenticatedOrReadOnly, ReadOrStaff]
    parser_classes = [BoundedJSONParser]

    @extend_schema(
        operation_id="settings_retrieve",
        summary="The active scoring settings and their version",
        responses={200: ScoringSettingsSerializer, **errors(*READ_ERRORS)},
    )
    def get(self, request: Request) -> Response:
        return Response(
            ScoringSettingsSerializer(
                ScoringSettings.objects.active(), context={"request": request}
            ).data
        )

    @extend_schema(
        operation_id="settings_partial_update",
        summary="Change scoring settings (staff): saved as a new version",
        description="Send only the fields to change (and an optional `note`). The new version "
        "applies from the next refresh on. Refused values answer 400 with `fields`.",
        request=ScoringSettingsSerializer(partial=True),
        responses={200: ScoringSettingsSerializer, **errors(*WRITE_ERRORS)},
        examples=[
            OpenApiExample(
                "reweight",
                value={"w_tx": 0.4, "w_vol": 0.3, "note": "favour trade pace"},
                request_only=True,
            )
        ],
    )
    def patch(self, request: Request) -> Response:
        current = ScoringSettings.objects.active()
        serializer = ScoringSettingsSerializer(
            current, data=request.data, partial=True, context={"request": request}
        )
        serializer.is_valid(raise_exception=True)
        writable = {name for name, field in serializer.fields.items() if not field.read_only}
        unknown = set(request.data) - writable
        if unknown:
            refused = {name: ["Not a writable scoring setting."] for name in sorted(unknown)}
            raise ValidationError(refused)
        values = dict(serializer.validated_data)
        note = values.pop("note", "")
        if not values and not note:
            raise ValidationError({NON_FIELD_ERRORS: ["Give at least one setting to change."]})
        try:
            saved = scoring_settings_save(changes=values, user=request.user, note=note)
        except DjangoValidationError as exc:
            raise ValidationError(_field_errors(exc)) from exc
        return Response(ScoringSettingsSerializer(saved, context={"request": request}).data)


def _field_errors(exc: DjangoValidationError) -> Mapping[str, list[str]]:
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD_ERRORS: list(exc.messages)}
    return {
        (NON_FIELD_ERRORS if name == DJANGO_NON_FIELD_ERRORS else name): messages
        for name, messages in exc.message_dict.items()
    }


class RecalculateView(ApiView):
    permission_classes = [IsAdminUser]

    @extend_schema(
        operation_id="admin_recalculate",
        summary="Re-score every token from its stored metrics (staff)",
        description="Queues `scoring.recalculate`: every monitoring and active token is scored "
        "again from its latest stored metrics with the active settings, as a new snapshot. "
        "Answers at once with the Celery task id; follow it at `/api/tasks/<task_id>/`, whose "
        "PROGRESS state carries `done` and `total`.",
        request=None,
        responses={202: TaskQueuedSerializer, **errors(*WRITE_ERRORS, 503)},
    )
    def post(self, request: Request) -> Response:
        task_id = recalculation_enqueue()
        return Response({"task_id": task_id, "status": "queued"}, status=status.HTTP_202_ACCEPTED)
