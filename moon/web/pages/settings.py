"""The /settings/ page (staff): the active scoring settings as a form, and their versions."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from moon.lib.htmx import render_page, wants_partial
from moon.web.pages.settings_forms import ScoringSettingsForm
from scoring.models import PARAM_FIELDS, ScoringSettings
from scoring.services.recalculate import HotPreview, hot_previews
from scoring.services.settings import EDITABLE_FIELDS, scoring_settings_save

HISTORY = 30


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Version:
    settings: ScoringSettings
    changes: list[Change]  # against the version before it
    active: bool
    initial: bool  # the oldest stored version: nothing to compare with


def version_history(limit: int = HISTORY) -> list[Version]:
    """The newest `limit` versions, newest first, each with what it changed."""
    rows = list(
        ScoringSettings.objects.select_related("created_by").order_by("-version")[: limit + 1]
    )
    return [
        Version(
            row, _diff(rows[i + 1], row) if i + 1 < len(rows) else [], i == 0, i + 1 == len(rows)
        )
        for i, row in enumerate(rows[:limit])
    ]


def _diff(before: ScoringSettings, after: ScoringSettings) -> list[Change]:
    labels = {f.name: str(getattr(f, "verbose_name", f.name)) for f in after._meta.fields}
    return [
        Change(name, labels.get(name, name), getattr(before, name), getattr(after, name))
        for name in EDITABLE_FIELDS
        if getattr(before, name) != getattr(after, name)
    ]


@staff_member_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    active = ScoringSettings.objects.active()
    form = ScoringSettingsForm(request.POST or None, instance=active)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form)
        if saved is not None and not wants_partial(request):
            return redirect("scoring:settings")  # post/redirect/get
        if saved is not None:
            form = ScoringSettingsForm(instance=saved)
    context = {
        "form": form,
        "active": ScoringSettings.objects.active(),
        "versions": version_history(),
    }
    return render_page(request, "scoring/settings.html", "settings-panel", context)


def _save(request: HttpRequest, form: ScoringSettingsForm) -> ScoringSettings | None:
    """Store the form's changes as a new version; None when nothing was stored."""
    changes = form.changes()
    if not changes:
        messages.info(request, "Nothing changed: no new version was stored.")
        return None
    try:
        saved = scoring_settings_save(
            changes=changes, user=request.user, note=form.cleaned_data.get("note", "")
        )
    except ValidationError as error:
        for field, errors in getattr(error, "error_dict", {None: error.error_list}).items():
            form.add_error(field if field in form.fields else None, errors)
        return None
    messages.success(
        request,
        f"Saved as version {saved.version} ({', '.join(sorted(changes))}): "
        "it applies from the next refresh on.",
    )
    return saved


@dataclass(frozen=True)
class PreviewLine:
    label: str  # what changes: "all changes" or one field's label
    preview: HotPreview


PREVIEW_FIELDS = 6  # beyond this many changed fields, only their sum is previewed


@staff_member_required
@require_POST
def settings_preview(request: HttpRequest) -> HttpResponse:
    """How many live tokens the form's values would make hot: all the changes together, then
    each alone. Rendered into the settings page as its fields change."""
    active = ScoringSettings.objects.active()
    # A bound ModelForm writes what it cleaned onto its instance: it gets a copy of its own.
    form = ScoringSettingsForm(request.POST, instance=ScoringSettings.objects.active())
    lines: list[PreviewLine] = []
    valid = form.is_valid()
    changes = form.changes() if valid else {}
    if changes:
        candidates = [("all changes", changes)]
        if 1 < len(changes) <= PREVIEW_FIELDS:
            candidates += [
                (str(form.fields[name].label), {name: changes[name]}) for name in changes
            ]
        base = active.to_params()
        previews = hot_previews(
            [dataclasses.replace(base, **_param_values(values)) for _, values in candidates],
            current_line=active.min_score,
        )
        lines = [PreviewLine(label, p) for (label, _), p in zip(candidates, previews, strict=True)]
    context = {"valid": valid, "changes": changes, "lines": lines}
    return render(request, "scoring/settings.html#hot-preview", context)


def _param_values(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes the engine reads (ScoringParams), as the model stores them."""
    row = ScoringSettings(**changes)
    return {name: getattr(row, name) for name in changes if name in PARAM_FIELDS}


@staff_member_required
@require_POST
def settings_revert(request: HttpRequest, version: int) -> HttpResponse:
    """Store a new version holding the values of ``version`` (history is never rewritten)."""
    old = get_object_or_404(ScoringSettings, version=version)
    active = ScoringSettings.objects.active()
    changes = {
        name: getattr(old, name)
        for name in EDITABLE_FIELDS
        if getattr(old, name) != getattr(active, name)
    }
    if not changes:
        messages.info(request, f"The active settings already hold version {version}'s values.")
        return redirect("scoring:settings")
    saved = scoring_settings_save(changes=changes, user=request.user, note=f"revert to v{version}")
    messages.success(
        request,
        f"Saved as version {saved.version}, with version {version}'s values "
        f"({', '.join(sorted(changes))}): it applies from the next refresh on.",
    )
    return redirect("scoring:settings")
