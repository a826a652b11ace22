"""/api/alerts/: alert rules and their deliveries (staff only: a rule holds a channel's
credentials and its signing secret)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, serializers, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from moon.lib.api import WRITE_ERRORS, errors
from moon.lib.apiview import ApiView
from moon.push.models import RULE_FIELDS, AlertDelivery, AlertRule
from moon.push.rules import KNOWN_FLAGS
from moon.push.services import delivery_test

DELIVERIES_SHOWN = 200
STAFF_ERRORS = WRITE_ERRORS  # reads too: a rule holds credentials


class AlertRuleSerializer(serializers.ModelSerializer[AlertRule]):
    flags = serializers.ListField(
        child=serializers.ChoiceField(choices=KNOWN_FLAGS),
        required=False,
        help_text="risk_flag: the flags that fire the rule (empty: any risk flag).",
    )
    exclude_flags = serializers.ListField(
        child=serializers.ChoiceField(choices=KNOWN_FLAGS),
        required=False,
        help_text="Never tokens carrying any of these flags.",
    )

    class Meta:
        model = AlertRule
        fields = ("id", *RULE_FIELDS, "secret", "created_at")
        read_only_fields = ("id", "secret", "created_at")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The model's own checks (the channel URL above all), as field errors."""
        rule = AlertRule(**{**self._current(), **attrs})
        try:
            rule.clean()
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.message_dict) from exc
        return attrs

    def _current(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {name: getattr(self.instance, name) for name in self.Meta.fields if name != "id"}


class AlertDeliverySerializer(serializers.ModelSerializer[AlertDelivery]):
    class Meta:
        model = AlertDelivery
        fields = (
            "id",
            "rule",
            "event",
            "event_id",
            "mint",
            "title",
            "status",
            "attempts",
            "error",
            "event_at",
            "created_at",
            "sent_at",
            "latency_ms",
        )
        read_only_fields = fields


class DeliveryQuery(serializers.Serializer[Any]):
    rule = serializers.IntegerField(required=False, min_value=1, help_text="Only this rule's.")
    status = serializers.ChoiceField(choices=AlertDelivery.Status.choices, required=False)


class StaffApi(ApiView):
    permission_classes = [IsAdminUser]


@extend_schema(tags=["alerts"])
@extend_schema_view(
    get=extend_schema(responses={200: AlertRuleSerializer(many=True), **errors(*STAFF_ERRORS)}),
    post=extend_schema(responses={201: AlertRuleSerializer, **errors(*STAFF_ERRORS)}),
)
class AlertRuleListView(StaffApi, generics.ListCreateAPIView[AlertRule]):
    """Every alert rule; POST creates one (its secret is made for it)."""

    queryset = AlertRule.objects.all()
    serializer_class = AlertRuleSerializer

    def perform_create(self, serializer: serializers.BaseSerializer[AlertRule]) -> None:
        serializer.save(created_by=self.request.user)


@extend_schema(tags=["alerts"])
@extend_schema_view(
    get=extend_schema(responses={200: AlertRuleSerializer, **errors(*STAFF_ERRORS, 404)}),
    put=extend_schema(responses={200: AlertRuleSerializer, **errors(*STAFF_ERRORS, 404)}),
    patch=extend_schema(responses={200: AlertRuleSerializer, **errors(*STAFF_ERRORS, 404)}),
    delete=extend_schema(responses={204: None, **errors(*STAFF_ERRORS, 404)}),
)
class AlertRuleDetailView(StaffApi, generics.RetrieveUpdateDestroyAPIView[AlertRule]):
    queryset = AlertRule.objects.all()
    serializer_class = AlertRuleSerializer


@extend_schema(
    tags=["alerts"],
    request=None,
    responses={202: AlertDeliverySerializer, **errors(*STAFF_ERRORS, 404)},
    summary="Send a test alert on the rule's channel",
)
class AlertRuleTestView(StaffApi):
    def post(self, request: Request, pk: int) -> Response:
        rule = generics.get_object_or_404(AlertRule, pk=pk)
        delivery = delivery_test(rule)
        return Response(AlertDeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


@extend_schema(
    tags=["alerts"],
    parameters=[DeliveryQuery],
    responses={200: AlertDeliverySerializer(many=True), **errors(*STAFF_ERRORS)},
)
class AlertDeliveryListView(StaffApi, generics.ListAPIView[AlertDelivery]):
    """The newest 200 deliveries (of one rule, in one status)."""

    serializer_class = AlertDeliverySerializer
    query_serializer = DeliveryQuery

    def get_queryset(self) -> Any:
        query = self.query(self.request)
        deliveries = AlertDelivery.objects.order_by("-created_at", "-id")
        if "rule" in query:
            deliveries = deliveries.filter(rule_id=query["rule"])
        if "status" in query:
            deliveries = deliveries.filter(status=query["status"])
        return deliveries[:DELIVERIES_SHOWN]
