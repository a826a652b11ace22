"""The /lab/ forms: a window and a signal, and two variants (A and B) of the tunable settings."""

from typing import Any

from django import forms
from django.db import models

from scoring.engine import ScoringParams
from scoring.models import ScoringSettings

from .history import ALL_TOKENS, TOKEN_SETS
from .replay import SIGNALS
from .results import TUNABLE_FIELDS
from .services import variant_params

HOURS = (
    (1, "1 hour"),
    (3, "3 hours"),
    (6, "6 hours"),
    (12, "12 hours"),
    (24, "24 hours"),
    (72, "3 days"),
    (168, "7 days"),
)


class WindowForm(forms.Form):
    hours = forms.TypedChoiceField(label="History", choices=HOURS, coerce=float, initial=24)
    signal = forms.ChoiceField(
        label="Judge",
        choices=[(s, f"{s} score") for s in SIGNALS],
        initial="smoothed",
        help_text="The smoothed score is what the hot line reads.",
    )
    tokens = forms.ChoiceField(
        label="Tokens",
        choices=list(TOKEN_SETS.items()),
        initial=ALL_TOKENS,
        required=False,
        help_text="Leave out the tokens the risk panel flags now (their current flags, over "
        "all their history), to see how the rest score.",
    )

    def clean_tokens(self) -> str:
        return self.cleaned_data.get("tokens") or ALL_TOKENS


class VariantForm(forms.Form):
    """The tunable settings (see results.TUNABLE_FIELDS) with the settings page's fields,
    labels and validators; ``params`` applies them over a base ScoringParams."""

    def __init__(self, *args: Any, base: ScoringParams, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: getattr(base, name) for name in TUNABLE_FIELDS})
        super().__init__(*args, **kwargs)
        self.base = base
        self.fields.update(forms.fields_for_model(ScoringSettings, fields=TUNABLE_FIELDS))
        for name, field in self.fields.items():
            if isinstance(field, forms.FloatField):
                field.widget.attrs.setdefault("step", "any")
                # A model field's validators run on model.full_clean(), not in a form: the
                # lab checks values where the settings page does, field by field.
                model_field = ScoringSettings._meta.get_field(name)
                if isinstance(model_field, models.Field):
                    field.validators.extend(model_field.validators)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                self.cleaned_data["params"] = variant_params(self.base, self._changes(cleaned))
            except (ValueError, LookupError) as error:
                raise forms.ValidationError(str(error)) from error
        return cleaned

    def params(self) -> ScoringParams:
        """The variant's settings; only after is_valid()."""
        params = self.cleaned_data["params"]
        assert isinstance(params, ScoringParams)
        return params

    def _changes(self, cleaned: dict[str, Any]) -> dict[str, Any]:
        return {name: cleaned[name] for name in TUNABLE_FIELDS if name in cleaned}
