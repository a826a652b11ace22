"""A measured figure, its limit, and the table `make bench` prints."""

import json
import platform
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    section: str
    name: str
    value: float
    unit: str
    limit: str = ""  # e.g. "< 5 s"; empty when the figure is informative only
    ok: bool | None = None


def machine() -> dict[str, object]:
    import os

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.processor() or platform.machine(),
    }


def print_table(figures: list[Figure]) -> None:
    width = max(len(f"{f.section}: {f.name}") for f in figures)
    for f in figures:
        verdict = "" if f.ok is None else ("ok" if f.ok else "OVER LIMIT")
        label = f"{f.section}: {f.name}"
        print(f"{label:<{width}}  {f.value:>12,.2f} {f.unit:<10} {f.limit:<14} {verdict}")


def write_json(figures: list[Figure], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine(), "figures": [asdict(f) for f in figures]}
    path.write_text(json.dumps(payload, indent=2))
