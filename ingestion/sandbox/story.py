"""How a token trades, minute by minute: the stories (pump, steady, fade, rug) as intensities.

Momentum is built to be informative, as it is in the real market: buying waves and pumps
come with rising activity, bigger trades and a rising price that persists for a while, while
selling is a quieter bleed. So acceleration and order-flow imbalance at t predict the price
over the following minutes.
"""

from __future__ import annotations

import math
from functools import lru_cache
from random import Random
from typing import TYPE_CHECKING

from ingestion.sandbox.habits import WASH_SEGMENT_MINUTES, WASH_SEGMENT_SHARE

if TYPE_CHECKING:
    from ingestion.sandbox.life import TokenSpec

MINUTE_MS = 60_000
STORIES = ("pump", "steady", "fade", "rug")
STORY_WEIGHTS = (0.30, 0.30, 0.28, 0.12)
WAVE_MINUTES = 30
TRICKLE = 0.003  # a dead token's floor of activity: someone still trades now and then
IMPACT_TRADES = 3.0  # trades a minute (of the usual size) from which a story moves the price
_MASK = (1 << 64) - 1
_WASH_SALT = 0x5DEECE66D
_PLACE_SALT = 0x2545F4914F6CDD1D
_BURST_SALT = 0x632BE59BD9B4E019
BURST_MINUTES = (10.0, 20.0)  # how long a buying wave's burst lasts

Profile = tuple[float, float, float, float, float]


def draw_story(rng: Random, story: str) -> dict[str, float]:
    """Story parameters: activity decay tau (minutes), floor, trend, and the event (a pump's
    start, length, activity amplitude and log gain; a rug's minute)."""
    params = {
        "tau": rng.uniform(240, 900),
        "floor": rng.uniform(0.005, 0.03),
        "trend": rng.uniform(-0.0015, 0.002),
        "event_at": 0.0,
        "event_len": 0.0,
        "event_amp": 0.0,
        "event_gain": 0.0,
    }
    if story == "fade":
        params.update(tau=rng.uniform(15, 60), trend=-rng.uniform(0.008, 0.02), floor=0.003)
    elif story == "pump":
        params.update(
            tau=rng.uniform(180, 600),
            trend=rng.uniform(-0.001, 0.001),
            event_at=rng.uniform(5, 120),
            event_len=rng.uniform(15, 45),
            event_amp=rng.uniform(4, 10),
            event_gain=math.log(rng.uniform(2, 6)),
        )
    elif story == "rug":
        params.update(
            tau=rng.uniform(60, 300), trend=-rng.uniform(0, 0.003), event_at=rng.uniform(10, 180)
        )
    return params


def minute_profile(spec: TokenSpec, age: float) -> Profile:
    """Expected trading of the token in the minute centred `age` minutes after migration.

    Returns (trades per minute, buy share, log-price drift, log-price sigma, trade size factor).
    Before migration the bonding curve fills up: activity rises as (0.15 + 0.85 x^2) with x the
    curve's progress, and the price drifts to the graduation price. After it, activity decays
    as exp(-age/tau) + floor, 30-minute buying or selling waves come and go, and the story
    adds its event: a pump's accelerating burst, a rug's dump. Then the token's habits: a thin
    token loses most of its trades, a volume bot adds bursts of paired trades.
    """
    if age < 0:
        span = (spec.migrated_ms - spec.created_ms) / MINUTE_MS
        progress = max(0.0, 1 + age / span)
        drift = (spec.lp_target - spec.lp_start) / span
        return spec.lam0 * (0.15 + 0.85 * progress**2), 0.58, drift, 0.02, 0.5
    if spec.story == "rug" and age >= spec.event_at:
        return _after_rug(spec, age - spec.event_at)
    organic = _with_impact(_revived(spec, age, _thinned(spec, age, _story_minute(spec, age))))
    return _with_wash(spec, age, organic)


def _story_minute(spec: TokenSpec, age: float) -> Profile:
    activity = math.exp(-age / spec.tau) + spec.floor
    lam = spec.lam0 * activity
    sigma = 0.004 + 0.012 * min(1.0, activity)
    drift = spec.trend * min(1.0, activity)
    buy = min(0.6, max(0.38, 0.5 + 25 * spec.trend))
    if spec.story == "pump":
        event = _pump_minute(spec, age, lam, drift, sigma)
        if event is not None:
            return event
    if spec.story == "rug":
        lead = _pump_before_rug(spec, age, lam, drift, sigma)
        if lead is not None:
            return lead
    return _wave_minute(spec, age, activity, (lam, buy, drift, sigma, 1.0))


def _after_rug(spec: TokenSpec, since: float) -> Profile:
    """The dump: heavy selling takes the price to rug_crash of itself over rug_minutes; then
    a dead token's trickle of small trades, the price bleeding on."""
    habits = spec.habits
    if since < habits.rug_minutes:
        activity = math.exp(-spec.event_at / spec.tau) + spec.floor
        lam = spec.lam0 * max(activity, 0.3) * 6 / habits.rug_minutes
        return lam, 0.08, math.log(habits.rug_crash) / habits.rug_minutes, 0.01, 2.0
    lam = spec.lam0 * max(0.02 * math.exp(-(since - habits.rug_minutes) / 15), TRICKLE)
    return _with_impact((lam, 0.35, -0.002, 0.01, 0.3))


def _pump_before_rug(
    spec: TokenSpec, age: float, lam: float, drift: float, sigma: float
) -> Profile | None:
    """Many rugs are pump-and-dumps: buying picks up over rug_pump_minutes before the dump."""
    habits = spec.habits
    length = min(habits.rug_pump_minutes, spec.event_at)
    if not habits.rug_pump or length <= 0:
        return None
    x = (age - (spec.event_at - length)) / length
    if not 0 <= x < 1:
        return None
    gain = habits.rug_pump * 2.5 * x**1.5 / length
    return lam * (1 + 3 * x), 0.66, drift + gain, sigma, 1 + 0.5 * x


def _thinned(spec: TokenSpec, age: float, profile: Profile) -> Profile:
    """A thin token keeps `thin` of its trades, and smaller ones, once the crowd that came for
    the migration has left (an exponential over `settle` minutes)."""
    habits = spec.habits
    if not habits.is_thin:
        return profile
    lam, buy, drift, sigma, size = profile
    left = math.exp(-age / habits.settle)
    return (
        lam * (habits.thin + (1 - habits.thin) * left),
        buy,
        drift,
        sigma,
        size * (habits.thin_size + (1 - habits.thin_size) * left),
    )


def _revived(spec: TokenSpec, age: float, profile: Profile) -> Profile:
    """A second wave of buyers hours later (a call, a listing): extra trades of the usual size
    grow to revival_amp x lam0 a minute as x^1.5 over its length, buying, carrying the price up
    by revival_gain; then they leave within a quarter length, giving back 15%."""
    habits = spec.habits
    if not habits.revival_at:
        return profile
    x = (age - habits.revival_at) / habits.revival_len
    if not 0 <= x < 1.25:
        return profile
    lam, buy, drift, sigma, size = profile
    if x < 1:
        extra = spec.lam0 * habits.revival_amp * x**1.5
        extra_buy, extra_size = 0.62 + 0.08 * x, 1 + x
        drift += habits.revival_gain * 2.5 * x**1.5 / habits.revival_len
    else:
        extra = spec.lam0 * habits.revival_amp * (1 - (x - 1) / 0.25) ** 2
        extra_buy, extra_size = 0.45, 1.2
        drift -= 0.15 * habits.revival_gain / (0.25 * habits.revival_len)
    total = lam + extra
    if not total > 0:
        return profile
    return (
        total,
        (lam * buy + extra * extra_buy) / total,
        drift,
        sigma,
        (lam * size + extra * extra_size) / total,
    )


def _with_impact(profile: Profile) -> Profile:
    """Prices move by trading. A trend needs net buying, so the story's drift scales with the
    flow, trades x size / IMPACT_TRADES (at most 1); the jitter of a few trades of either side
    scales with its square root. A thin token's price moves little, and mostly at random."""
    lam, buy, drift, sigma, size = profile
    flow = min(1.0, lam * size / IMPACT_TRADES)
    return lam, buy, drift * flow, sigma * math.sqrt(flow), size


def _with_wash(spec: TokenSpec, age: float, profile: Profile) -> Profile:
    """A volume bot's burst adds paired buys and sells: trades and volume, no price move."""
    rate = wash_rate(spec, age)
    if not rate:
        return profile
    lam, buy, drift, sigma, size = profile
    total = lam + rate
    return (
        total,
        (lam * buy + rate * 0.5) / total,
        drift,
        sigma,
        (lam * size + rate * spec.habits.wash_size) / total,
    )


def wash_rate(spec: TokenSpec, age: float) -> float:
    """The bot's trades a minute at `age`: a burst of 6 to 20 minutes in WASH_SEGMENT_SHARE of
    its 30-minute segments, placed by (token, segment)."""
    rate = spec.habits.wash_rate
    if not rate or age < 0:
        return 0.0
    segment, offset = divmod(age, WASH_SEGMENT_MINUTES)
    if (_segment_value(spec.seed ^ _WASH_SALT, int(segment)) + 1) / 2 > WASH_SEGMENT_SHARE:
        return 0.0
    place = (_segment_value(spec.seed ^ _PLACE_SALT, int(segment)) + 1) / 2
    length = 6 + 14 * place
    start = (WASH_SEGMENT_MINUTES - length) * (place * 7919 % 1)
    return rate if start <= offset < start + length else 0.0


def _pump_minute(
    spec: TokenSpec, age: float, lam: float, drift: float, sigma: float
) -> Profile | None:
    """The pump: activity grows as amp * x^1.5 over its length, the price gains event_gain
    along the same curve; then activity collapses within a quarter length, giving back 15%."""
    x = (age - spec.event_at) / spec.event_len
    if 0 <= x < 1:
        bump = spec.event_amp * x**1.5
        gain = spec.event_gain * 2.5 * x**1.5 / spec.event_len
        return lam * (1 + bump), 0.62 + 0.08 * x, drift + gain, sigma, 1 + x
    if 1 <= x < 1.25:
        bump = spec.event_amp * (1 - (x - 1) / 0.25) ** 2
        giveback = -0.15 * spec.event_gain / (0.25 * spec.event_len)
        return lam * (1 + bump), 0.45, drift + giveback, sigma, 1.2
    return None


def _buying_burst_length(spec: TokenSpec, age: float) -> float:
    """The length of the buying burst `age` falls in (0: none): 10 to 20 minutes of its wave's
    30-minute segment, placed by (token, segment) as a volume bot's bursts are."""
    segment, offset = divmod(age, WAVE_MINUTES)
    place = (_segment_value(spec.seed ^ _BURST_SALT, int(segment)) + 1) / 2
    length = BURST_MINUTES[0] + (BURST_MINUTES[1] - BURST_MINUTES[0]) * place
    start = (WAVE_MINUTES - length) * (place * 7919 % 1)
    return length if start <= offset < start + length else 0.0


def buying_burst(spec: TokenSpec, age: float) -> bool:
    """Whether a buying wave's burst is on at `age` (minutes after migration)."""
    tilt = _segment_value(spec.seed, int(age // WAVE_MINUTES))
    return tilt > 0.5 and bool(_buying_burst_length(spec, age))


def _wave_minute(spec: TokenSpec, age: float, activity: float, base: Profile) -> Profile:
    """Half the 30-minute segments carry a wave: buying ones bring more and bigger trades and
    a rising price, selling ones fewer trades and a bleeding price."""
    lam, buy, drift, sigma, size = base
    tilt = _segment_value(spec.seed, int(age // WAVE_MINUTES))
    strength = max(0.0, abs(tilt) - 0.5) * 2
    if not strength:
        return base
    reach = min(1.0, 3 * activity)
    if tilt > 0:
        length = _buying_burst_length(spec, age)
        if not length:
            return base
        packed = WAVE_MINUTES / length  # the segment's extra buying, packed into the burst
        return (
            lam * (1 + 2.5 * strength * packed),
            min(0.75, buy + 0.14 * strength),
            drift + 0.01 * strength * reach * packed,
            sigma,
            size * (1 + 0.5 * strength),
        )
    return (
        lam * (1 - 0.4 * strength),
        max(0.25, buy - 0.12 * strength),
        drift - 0.008 * strength * reach,
        sigma,
        size,
    )


@lru_cache(maxsize=1 << 16)
def _segment_value(seed: int, segment: int) -> float:
    """A value in [-1, 1) fixed by (token, segment): splitmix64, cheaper than a Random."""
    h = (seed * 0x9E3779B97F4A7C15 + (segment + 1) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & _MASK
    h ^= h >> 31
    return h / 2**63 - 1
