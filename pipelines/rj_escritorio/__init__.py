"""Escritório Municipal de Dados (EMD): imports the flows of each of its projects."""

from pipelines.rj_escritorio.flows import *  # noqa: F401,F403
from pipelines.rj_escritorio.dump_db_exemplo.flows import *  # noqa: F401,F403
from pipelines.rj_escritorio.geolocator.flows import *  # noqa: F401,F403
