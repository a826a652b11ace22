"""The /alerts/ page (staff): alert rules, a new rule, a test button, the delivery log."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from moon.lib.htmx import render_page, wants_partial
from moon.push.models import RULE_FIELDS, AlertDelivery, AlertRule
from moon.push.rules import KNOWN_FLAGS
from moon.push.services import delivery_test

LOG_SIZE = 50
LOG_POLL_SECONDS = 5
FLAG_CHOICES = [(flag, flag.replace("_", " ")) for flag in KNOWN_FLAGS]


class AlertRuleForm(forms.ModelForm[AlertRule]):
    flags = forms.MultipleChoiceField(
        choices=FLAG_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AlertRule._meta.get_field("flags").help_text,
    )
    exclude_flags = forms.MultipleChoiceField(
        choices=FLAG_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=AlertRule._meta.get_field("exclude_flags").help_text,
    )

    class Meta:
        model = AlertRule
        fields = RULE_FIELDS
        labels = {
            "min_liquidity_usd": "Min liquidity (USD)",
            "max_age_minutes": "Max age (minutes)",
            "cooldown_minutes": "Cooldown (minutes)",
            "url": "Channel URL",
        }


def channel_shown(rule: AlertRule) -> str:
    """Where a rule sends, without the credentials its URL may carry."""
    parts = urlsplit(rule.url)
    host = parts.hostname or ""
    return f"{parts.scheme}://{host}…" if host else f"{parts.scheme}://…"


def _context(form: AlertRuleForm) -> dict[str, Any]:
    rules = list(AlertRule.objects.all())
    return {
        "form": form,
        "rules": [(rule, channel_shown(rule)) for rule in rules],
        "deliveries": AlertDelivery.objects.select_related("rule")[:LOG_SIZE],
        "log_poll_seconds": LOG_POLL_SECONDS,
    }


@staff_member_required
@require_http_methods(["GET", "POST"])
def alerts_page(request: HttpRequest) -> HttpResponse:
    form = AlertRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        rule = form.save(commit=False)
        rule.created_by = request.user  # type: ignore[assignment]
        rule.save()
        messages.success(request, f"Rule “{rule.name}” saved: it applies to the next events.")
        if not wants_partial(request):
            return redirect("alerts")
        form = AlertRuleForm()
    return render_page(request, "push/alerts.html", "alerts-panel", _context(form))


@staff_member_required
@require_safe
def delivery_log(request: HttpRequest) -> HttpResponse:
    return render_page(request, "push/alerts.html", "delivery-log", _context(AlertRuleForm()))


@staff_member_required
@require_POST
def alert_test(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(AlertRule, pk=pk)
    delivery_test(rule)
    messages.info(request, f"A test alert for “{rule.name}” is on its way: see the log below.")
    if wants_partial(request):
        return render_page(request, "push/alerts.html", "alerts-panel", _context(AlertRuleForm()))
    return redirect("alerts")
