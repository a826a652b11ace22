"""What moon remembers about its dependencies: each one's status since when, and what the
watchdog last told about it."""

from django.db import models


class Status(models.TextChoices):
    OK = "ok"
    DEGRADED = "degraded"
    FAILING = "failing"


SEVERITY = {Status.OK: 0, Status.DEGRADED: 1, Status.FAILING: 2}


def worst(statuses: "list[str]") -> str:
    """The most severe of `statuses` (ok when there are none)."""
    return max(statuses, key=lambda status: SEVERITY[Status(status)], default=Status.OK)


class Dependency(models.Model):
    """One part moon depends on, as last judged (by /health or the watchdog).

    ``since``: when it entered ``status``. ``alerted_status``: the status the watchdog last
    sent an alert for; a status that differs from it for long enough is alerted (or, back to
    ok, resolved) once, and only then recorded here, so a failed delivery is tried again.
    """

    name = models.CharField(max_length=40, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices)
    since = models.DateTimeField()
    reason = models.CharField(max_length=500, blank=True)
    alerted_status = models.CharField(max_length=10, choices=Status.choices, default=Status.OK)
    alerted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "dependencies"

    def __str__(self) -> str:
        return f"{self.name}: {self.status} since {self.since:%Y-%m-%d %H:%M:%S}"
