"""The dashboard rendered in-process over the API benchmark's tokens: one whole page and one
htmx table read per lane, p50 and p99 over repeated renders (the page's database work: the
ranking, the lane and status counts, the newest snapshot, the pools of a page)."""

import time
from statistics import quantiles

from scripts.bench.figures import Figure

LANES = ("", "new", "hot", "fading", "rugged")
RENDERS = 40


def run(tokens: int) -> list[Figure]:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")  # a host the settings allow
    section = f"dashboard ({tokens:,} tokens)"
    figures: list[Figure] = []
    for lane in LANES:
        path = f"/?lane={lane}" if lane else "/"
        times = []
        for n in range(RENDERS + 3):
            started = time.perf_counter()
            response = client.get(path, HTTP_HX_REQUEST="true")
            if n >= 3:  # the first renders warm the caches
                times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
        cuts = quantiles(times, n=100)
        name = f"table read, lane {lane or 'all'}"
        figures += [
            Figure(section, f"{name}: p50", cuts[49], "ms"),
            Figure(section, f"{name}: p99", cuts[98], "ms"),
        ]
    return figures
