"""Constants of the geolocator project: where the 1746 calls come from and land."""

from enum import Enum


class constants(Enum):
    """Constant values for the geolocator project."""

    # The day of 1746 calls shipped with the repository; relative paths are also
    # looked up from the repository root, so this works wherever the flow runs.
    CHAMADOS_URL = (
        "pipelines/rj_escritorio/geolocator/data/rio_1746_chamados_2023-04-01.csv"
    )
    DATASET_ID = "adm_central_atendimento_1746"
    TABLE_ID = "chamado"
    PARTITION_DATE_COLUMN = "data_inicio"
    # dbt model with the calls per bairro and service type
    MATERIALIZED_TABLE_ID = "chamados_por_bairro_tipo"
