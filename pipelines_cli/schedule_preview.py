"""When flows will run: upcoming runs per clock, clock collisions, runs per hour of week.

Used by `pipelines schedule` and by `pipelines check`. Events come from Prefect's own
clocks, with the schedule's filters and adjustments applied as Prefect applies them,
but one clock at a time, so that every run keeps the clock that made it.
matplotlib is imported only when a chart is drawn.
"""

import heapq
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator

import pendulum
from prefect.schedules import Schedule
from prefect.schedules.clocks import (
    Clock,
    ClockEvent,
    CronClock,
    DatesClock,
    IntervalClock,
)

# How many events of one clock are looked at, at most, for one question.
MAX_EVENTS_PER_CLOCK = 10_000
# How many events of all the clocks of one schedule a collision search looks at: a
# flow with many frequent clocks is searched over a shorter horizon.
MAX_EVENTS_PER_COLLISION_SEARCH = 40_000

NO_LABEL = "(no label)"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class ScheduledRun:
    """One future run of a flow and the clock that schedules it."""

    start: pendulum.DateTime
    clock_index: int
    clock_description: str
    labels: tuple[str, ...]
    parameters: dict[str, Any] = field(hash=False)


@dataclass(frozen=True)
class Collision:
    """Two clocks of a schedule firing at one instant with different runs."""

    instant: pendulum.DateTime
    first: int
    second: int


@dataclass
class WeeklyLoad:
    """Runs starting in each hour of a week, per agent label set.

    Attributes:
        start: the first hour of the window, in `timezone`.
        timezone: where weekdays and hours are counted.
        counts: per label set, 7 rows (Monday first) of 24 hourly counts.
        flows_counted: how many scheduled flows contributed.
    """

    start: pendulum.DateTime
    timezone: str
    counts: dict[str, list[list[int]]] = field(default_factory=dict)
    flows_counted: int = 0

    def total(self, label: str) -> int:
        """Runs of one label set in the week."""
        return sum(sum(row) for row in self.counts[label])

    def peak(self, label: str) -> tuple[int, int, int]:
        """The busiest hour of one label set: (weekday, hour, runs)."""
        best = (0, 0, -1)
        for day, row in enumerate(self.counts[label]):
            for hour, runs in enumerate(row):
                if runs > best[2]:
                    best = (day, hour, runs)
        return best


def describe_clock(clock: Clock) -> str:
    """What makes a clock fire, in a few words: "every 1 day", "cron '0 4 * * *'"."""
    if isinstance(clock, IntervalClock):
        return f"every {_describe_interval(clock.interval)}"
    if isinstance(clock, CronClock):
        return f"cron {clock.cron!r}"
    if isinstance(clock, DatesClock):
        return f"on {len(clock.dates)} fixed date(s)"
    return type(clock).__name__


def iter_clock_events(
    schedule: Schedule,
    clock: Clock,
    after: datetime,
    until: datetime | None = None,
    *,
    limit: int = MAX_EVENTS_PER_CLOCK,
) -> Iterator[ClockEvent]:
    """The events of one clock of a schedule, filtered and adjusted as Prefect does.

    Args:
        schedule: the schedule whose filters and adjustments apply.
        clock: one of its clocks.
        after: only events strictly after this instant.
        until: stop at the first event after this instant (None: no end).
        limit: at most this many raw clock events are looked at.

    Yields:
        Clock events, in order, with their adjusted start time.
    """
    for event in itertools.islice(clock.events(after=after), limit):
        if until is not None and event.start_time > until:
            return
        if not _passes_filters(schedule, event.start_time):
            continue
        start = event.start_time
        for adjustment in schedule.adjustments:
            start = adjustment(start)
        yield ClockEvent(start, event.parameter_defaults, event.labels)


def next_runs(
    schedule: Schedule,
    count: int,
    *,
    timezone: str,
    after: datetime | None = None,
    default_labels: Iterable[str] = (),
) -> list[ScheduledRun]:
    """The next `count` runs of a schedule, each with the clock that makes it.

    Args:
        schedule: a flow's schedule.
        count: how many runs.
        timezone: the zone the start times are given in.
        after: runs after this instant (default: now).
        default_labels: labels of runs whose clock sets none (the run config's).

    Returns:
        The runs in start order; fewer than `count` when the clocks end.
    """
    after = after or pendulum.now("UTC")
    per_clock = []
    for index, clock in enumerate(schedule.clocks, start=1):
        events = itertools.islice(iter_clock_events(schedule, clock, after), count)
        per_clock.append(
            [
                _to_run(event, index, describe_clock(clock), timezone, default_labels)
                for event in events
            ]
        )
    merged = heapq.merge(*per_clock, key=lambda run: (run.start, run.clock_index))
    return list(itertools.islice(merged, count))


def find_collisions(
    schedule: Schedule,
    *,
    after: datetime | None = None,
    horizon: timedelta = timedelta(days=366),
) -> list[Collision]:
    """Instants at which two clocks of a schedule fire with different runs.

    Prefect's server keys a scheduled run by its flow and start time, so of two
    such runs only one is kept. Each pair of clocks is reported once, at its first
    collision within the horizon (shorter for many frequent clocks, see
    `MAX_EVENTS_PER_COLLISION_SEARCH`).

    Args:
        schedule: a flow's schedule.
        after: look from this instant (default: now).
        horizon: how far ahead to look.

    Returns:
        The first collision of each colliding pair of clocks.
    """
    after = after or pendulum.now("UTC")
    until = after + horizon
    seen: dict[float, tuple[int, dict[str, Any], list[str]]] = {}
    collisions: dict[tuple[int, int], Collision] = {}
    limit = max(1_000, MAX_EVENTS_PER_COLLISION_SEARCH // max(len(schedule.clocks), 1))
    for index, clock in enumerate(schedule.clocks, start=1):
        for event in iter_clock_events(schedule, clock, after, until, limit=limit):
            key = event.start_time.timestamp()
            labels = sorted(event.labels or [])
            earlier = seen.setdefault(key, (index, event.parameter_defaults, labels))
            first = earlier[0]
            if first == index or (first, index) in collisions:
                continue
            if earlier[1] != event.parameter_defaults or earlier[2] != labels:
                collisions[(first, index)] = Collision(
                    pendulum.instance(event.start_time), first, index
                )
    return sorted(collisions.values(), key=lambda item: (item.instant, item.first))


def count_runs_per_hour(
    schedules: Iterable[tuple[Schedule, Iterable[str]]],
    *,
    timezone: str,
    start: datetime | None = None,
    days: int = 7,
) -> WeeklyLoad:
    """How many runs start in each hour of the week, per set of agent labels.

    Args:
        schedules: each scheduled flow's schedule and its run config's labels.
        timezone: the zone that weekdays and hours are counted in.
        start: the beginning of the window (default: the current hour).
        days: the length of the window; 7 counts each hour of the week once.

    Returns:
        The counts per label set, joined with ", " ("(no label)" for none).
    """
    start = pendulum.instance(start or pendulum.now(timezone)).in_tz(timezone)
    start = start.set(minute=0, second=0, microsecond=0)
    load = WeeklyLoad(start=start, timezone=timezone)
    window_end = start.add(days=days)
    for schedule, default_labels in schedules:
        load.flows_counted += 1
        defaults = tuple(default_labels)
        for clock in schedule.clocks:
            # NOTE: one second early, because CronClock rounds a fractional `after`
            # up to the next second and would skip a run at exactly `start`.
            for event in iter_clock_events(schedule, clock, start.subtract(seconds=1)):
                if event.start_time >= window_end:
                    break
                if event.start_time < start:
                    continue
                local = pendulum.instance(event.start_time).in_tz(timezone)
                label = _label_key(event.labels or defaults)
                grid = load.counts.setdefault(label, [[0] * 24 for _ in WEEKDAYS])
                grid[local.weekday()][local.hour] += 1
    return load


def format_weekly_load(load: WeeklyLoad) -> str:
    """The weekly load as text: a grid of runs per weekday and hour per label set."""
    window = f"{load.start.format('YYYY-MM-DD HH:mm')} ({load.timezone})"
    if not load.counts:
        return f"No scheduled runs in the week from {window}."
    header = "     " + "".join(f" {hour:02d}" for hour in range(24))
    blocks = []
    for label in sorted(load.counts):
        day, hour, runs = load.peak(label)
        lines = [
            f"{label}: {load.total(label)} runs in the week from {window}; busiest "
            f"hour {WEEKDAYS[day]} {hour:02d}:00 with {runs} run(s)",
            header,
        ]
        for weekday, row in zip(WEEKDAYS, load.counts[label]):
            cells = "".join(f"{runs if runs else '.':>3}" for runs in row)
            lines.append(f"  {weekday}{cells}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def draw_weekly_load(load: WeeklyLoad, path: Path) -> None:
    """Draws the weekly load as a PNG: one weekday-by-hour heat map per label set.

    Args:
        load: the counts, from `count_runs_per_hour`.
        path: the PNG file to write.
    """
    # NOTE: matplotlib is heavy and needs no display here; import it only now.
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot, ticker

    labels = sorted(load.counts) or [NO_LABEL]
    figure, axes = pyplot.subplots(
        len(labels), 1, figsize=(13, 2.9 * len(labels) + 0.8), squeeze=False
    )
    peak = max((load.peak(label)[2] for label in load.counts), default=0)
    for axis, label in zip(axes[:, 0], labels):
        grid = load.counts.get(label, [[0] * 24 for _ in WEEKDAYS])
        image = _draw_grid(axis, grid, max(peak, 1))
        total = sum(sum(row) for row in grid)
        axis.set_title(f"{label}: {total} runs per week", loc="left", fontsize=11)
        axis.set_xlabel(f"hour the run starts ({load.timezone})", fontsize=9)
        colorbar = figure.colorbar(
            image, ax=axis, label="runs", fraction=0.025, pad=0.01
        )
        colorbar.locator = ticker.MaxNLocator(integer=True)
        colorbar.update_ticks()
    figure.suptitle(
        f"Flow runs starting per hour, week from {load.start.format('YYYY-MM-DD HH:mm')}, "
        f"{load.flows_counted} scheduled flow(s)",
        fontsize=12,
    )
    figure.tight_layout()
    figure.savefig(path, format="png", dpi=100)
    pyplot.close(figure)


def _draw_grid(axis: Any, grid: list[list[int]], peak: int) -> Any:
    """One weekday-by-hour heat map with the count written in each busy hour."""
    image = axis.imshow(grid, cmap="YlOrRd", vmin=0, vmax=peak, aspect="auto")
    for day, row in enumerate(grid):
        for hour, runs in enumerate(row):
            if runs:
                color = "white" if runs > 0.6 * peak else "black"
                axis.text(
                    hour, day, runs, ha="center", va="center", fontsize=8, color=color
                )
    axis.set_xticks(range(24), [f"{hour:02d}" for hour in range(24)], fontsize=8)
    axis.set_yticks(range(7), WEEKDAYS, fontsize=8)
    return image


def _passes_filters(schedule: Schedule, start: datetime) -> bool:
    """Prefect's rule: every filter, at least one or-filter, no not-filter."""
    if not all(check(start) for check in schedule.filters):
        return False
    if schedule.or_filters and not any(check(start) for check in schedule.or_filters):
        return False
    return not any(check(start) for check in schedule.not_filters)


def _to_run(
    event: ClockEvent,
    index: int,
    description: str,
    timezone: str,
    default_labels: Iterable[str],
) -> ScheduledRun:
    labels = tuple(sorted(event.labels or default_labels))
    start = pendulum.instance(event.start_time).in_tz(timezone)
    return ScheduledRun(
        start, index, description, labels, dict(event.parameter_defaults)
    )


def _label_key(labels: Iterable[str]) -> str:
    return ", ".join(sorted(labels)) or NO_LABEL


def _describe_interval(interval: timedelta) -> str:
    seconds = int(interval.total_seconds())
    for unit, size in (
        ("week", 604800),
        ("day", 86400),
        ("hour", 3600),
        ("minute", 60),
    ):
        if seconds % size == 0:
            return f"{seconds // size} {unit}{'s' if seconds // size != 1 else ''}"
    return f"{seconds} seconds"
