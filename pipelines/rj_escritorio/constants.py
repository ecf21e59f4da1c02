"""Constants of the Escritório Municipal de Dados (EMD), common to its projects."""

from enum import Enum


class constants(Enum):
    """Values shared by the projects of rj_escritorio."""

    # The acronym that opens every flow name of this orgao ("EMD: ...").
    ORGAO_SIGLA = "EMD"
