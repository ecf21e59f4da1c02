"""Constants of the geolocator project: where the 1746 calls come from and land."""

from enum import Enum


class constants(Enum):
    """Constant values for the geolocator project."""

    DATASET_ID = "adm_central_atendimento_1746"
    TABLE_ID = "chamado"
