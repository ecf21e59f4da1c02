"""The tutorial's schedule, as the geolocator project declares it."""

import pendulum

from pipelines.constants import constants
from pipelines.rj_escritorio.geolocator.flows import daily_geolocator_flow
from pipelines.rj_escritorio.geolocator.schedules import every_day_at_four_am


def test_every_day_at_four_am_runs_daily_at_four_in_rio() -> None:
    after = pendulum.datetime(2026, 12, 3, 12, 0, tz="America/Sao_Paulo")
    runs = every_day_at_four_am.next(3, after=after)
    local = [pendulum.instance(run).in_tz("America/Sao_Paulo") for run in runs]
    assert [(run.day, run.hour, run.minute) for run in local] == [
        (4, 4, 0),
        (5, 4, 0),
        (6, 4, 0),
    ]


def test_every_day_at_four_am_names_label_and_parameter_defaults() -> None:
    (clock,) = every_day_at_four_am.clocks
    assert clock.labels == [constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value]
    assert clock.parameter_defaults == {
        "materialize_after_dump": True,
        "materialization_mode": "dev",
    }


def test_geolocator_flow_uses_every_day_at_four_am() -> None:
    assert daily_geolocator_flow.schedule is every_day_at_four_am
    parameters = {parameter.name for parameter in daily_geolocator_flow.parameters()}
    assert set(every_day_at_four_am.clocks[0].parameter_defaults) <= parameters
