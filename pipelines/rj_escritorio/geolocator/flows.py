"""Geolocator flows: 1746 calls from a CSV to the datalake, counted per bairro."""

from prefect import Parameter

from pipelines.rj_escritorio.geolocator.schedules import every_day_at_four_am
from pipelines.utils.decorators import Flow

with Flow(
    "EMD: escritorio - Geolocalizacao de chamados 1746",
    code_owners=[
        "paty",
    ],
) as daily_geolocator_flow:
    materialize_after_dump = Parameter("materialize_after_dump", default=True)
    materialization_mode = Parameter("materialization_mode", default="dev")

daily_geolocator_flow.schedule = every_day_at_four_am
