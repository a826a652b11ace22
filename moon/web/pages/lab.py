"""The /lab/ page (staff): backtest two variants of the scoring settings side by side on
stored history, and apply the winner (B) as a new settings version.

The backtest runs in the request, synchronously, over a bounded window: the last N hours,
and at most LAB_MAX_SNAPSHOTS of the newest snapshots (a few seconds of replay, and about a
second per variant and horizon for the intervals). No task, no polling, no result store: the
answer is the page. `manage.py backtest` runs any size.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from moon.lib.htmx import render_page
from scoring.backtest.charts import lab_charts
from scoring.backtest.forms import VariantForm, WindowForm
from scoring.backtest.history import recent_window
from scoring.backtest.replay import BacktestOptions, Variant
from scoring.backtest.services import BacktestRun, backtest_apply, backtest_run, current_variant
from scoring.backtest.text import comparison_rows, history_notes

LAB_MAX_SNAPSHOTS = 250_000


@staff_member_required
@require_GET
def lab(request: HttpRequest) -> HttpResponse:
    current = current_variant()
    running = "run" in request.GET
    data = request.GET if running else None
    window_form = WindowForm(data)
    form_a = VariantForm(data, prefix="a", base=current.params)
    form_b = VariantForm(data, prefix="b", base=current.params)
    named: list[tuple[str, forms.Form]] = [("History", window_form), ("A", form_a), ("B", form_b)]
    context: dict[str, Any] = {
        "current": current,
        "forms": named,
        "form_b": form_b,
        "max_snapshots": f"{LAB_MAX_SNAPSHOTS:,}",
        "confidence": BacktestOptions().confidence,
        "errors": [],
    }
    if running and all(form.is_valid() for _, form in named):
        context.update(_run(window_form, form_a, form_b))
    elif running:
        context["errors"] = _errors(named)
    return render_page(request, "scoring/lab.html", "lab-results", context)


def _run(window_form: WindowForm, form_a: VariantForm, form_b: VariantForm) -> dict[str, Any]:
    window, truncated = recent_window(
        hours=window_form.cleaned_data["hours"],
        max_snapshots=LAB_MAX_SNAPSHOTS,
        now=timezone.now(),
        tokens=window_form.cleaned_data["tokens"],
    )
    run: BacktestRun = backtest_run(
        variants=[Variant("A", form_a.params()), Variant("B", form_b.params())],
        window=window,
        options=BacktestOptions(signal=window_form.cleaned_data["signal"]),
    )
    return {
        "run": run,
        "truncated": truncated,
        "rows": comparison_rows(run.results),
        "notes": history_notes(run.results),
        "charts": lab_charts(run.results),
    }


def _errors(named: list[tuple[str, forms.Form]]) -> list[str]:
    """Every form error as "A w_tx: message", for the results region an htmx run swaps in."""
    return [
        f"{legend}{'' if field == NON_FIELD_ERRORS else ' ' + field}: {message}"
        for legend, form in named
        for field, errors in form.errors.items()
        for message in errors
    ]


@staff_member_required
@require_POST
def lab_apply(request: HttpRequest) -> HttpResponse:
    """Store B's settings as a new version (scoring_settings_save), then back to the lab."""
    current = current_variant()
    form_b = VariantForm(request.POST, prefix="b", base=current.params)
    back = reverse("lab:index") + _query(request.POST.get("query", ""))
    if not form_b.is_valid():
        messages.error(request, f"B was not applied: {form_b.errors.as_text()}")
        return redirect(back)
    saved = backtest_apply(
        params=form_b.params(),
        user=request.user,
        note=request.POST.get("note", "")[:200] or "applied from the backtest lab (B)",
    )
    if saved is None:
        messages.info(request, "B equals the active settings: no new version was stored.")
    else:
        messages.success(
            request,
            f"B saved as version {saved.version}: it applies from the next refresh on.",
        )
    return redirect(back)


def _query(query: str) -> str:
    """The lab's query string, re-encoded: back to the same run, and never anywhere else."""
    encoded = QueryDict(query.lstrip("?")).urlencode()
    return f"?{encoded}" if encoded else ""
