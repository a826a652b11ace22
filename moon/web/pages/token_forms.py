"""The dashboard's query string, parsed into the selectors' TokenFilters."""

from django import forms

from scoring.selectors import DEFAULT_SORT, SORTS, TokenFilters
from tokens.models import Token

SORT_CHOICES = [(f"{prefix}{key}", f"{prefix}{key}") for key in SORTS for prefix in ("", "-")]


class TokenFilterForm(forms.Form):
    """GET parameters of `/`: every one optional; an invalid one is ignored, not fatal."""

    status = forms.ChoiceField(choices=[("", "Live"), *Token.Status.choices], required=False)
    search = forms.CharField(required=False, max_length=100)
    min_score = forms.FloatField(required=False)
    fresh = forms.BooleanField(required=False)
    hot = forms.BooleanField(required=False)
    hide_risky = forms.BooleanField(required=False)
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def token_filters(self, *, hot_threshold: float, fresh_hours: float) -> TokenFilters:
        """The valid parameters as TokenFilters; `fresh` means migrated within `fresh_hours`."""
        self.is_valid()
        data = self.cleaned_data
        status = data.get("status")
        return TokenFilters(
            statuses=(status,) if status else (),
            min_score=data.get("min_score"),
            search=data.get("search") or "",
            fresh_hours=fresh_hours if data.get("fresh") else None,
            hot_only=bool(data.get("hot")),
            hot_threshold=hot_threshold,
            sort=data.get("sort") or DEFAULT_SORT,
            hide_risky=bool(data.get("hide_risky")),
        )
