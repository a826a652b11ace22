"""The /settings/ form: every editable ScoringSettings field, grouped as the page shows them."""

from collections.abc import Iterator
from typing import Any

from django import forms

from scoring.models import ScoringSettings
from scoring.services.settings import EDITABLE_FIELDS, SETTINGS_GROUPS

FIELDSETS = SETTINGS_GROUPS


class ScoringSettingsForm(forms.ModelForm[ScoringSettings]):
    """Bound to the active version; saving goes through scoring_settings_save (a new version)."""

    class Meta:
        model = ScoringSettings
        fields = (*EDITABLE_FIELDS, "note")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("note", "")  # a note belongs to one version
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.FloatField):
                field.widget.attrs.setdefault("step", "any")

    def changes(self) -> dict[str, Any]:
        """The settings this submission changes (the note is not a setting)."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "note"}

    def fieldsets(self) -> Iterator[tuple[str, list[forms.BoundField]]]:
        grouped = {name for _title, names in FIELDSETS for name in names}
        for title, names in FIELDSETS:
            yield title, [self[name] for name in names if name in self.fields]
        rest = [self[name] for name in EDITABLE_FIELDS if name not in grouped]
        if rest:  # a field added to the model later still shows up
            yield "Other", rest
