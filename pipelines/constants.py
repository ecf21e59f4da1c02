"""Global constants shared by every orgao: agent labels, image, projects, timezone.

Every `constants.py` of this repository holds one `Enum` named `constants`, read with
`.value` (``constants.RJ_ESCRITORIO_DEV_AGENT_LABEL.value``). The lowercase class name
is the office's convention from its tutorial, kept so that every example works as
written; `.pylintrc` allows it once for all `constants` classes instead of a disable
comment in each file.

A change here affects every flow of the repository: edit with care.
"""

from enum import Enum


class constants(Enum):
    """Values common to every flow of the repository."""

    # Time
    DEFAULT_TIMEZONE = "America/Sao_Paulo"

    # Docker image that runs the flows in production (tag set by CI per commit)
    DOCKER_IMAGE_NAME = "ghcr.io/prefeitura-rio/pipelines"
    DOCKER_TAG = "latest"
    DOCKER_TAG_ENV_VAR = "PIPELINES_IMAGE_TAG"

    # Prefect projects that CI registers flows into
    PREFECT_STAGING_PROJECT = "staging"
    PREFECT_PRODUCTION_PROJECT = "production"
    PREFECT_DEFAULT_UI_URL = "https://prefect.dados.rio"
    PREFECT_TENANT_SLUG = "default"

    # Agent labels: one production and one development agent per orgao.
    # `pipelines check` accepts only labels declared here.
    RJ_ESCRITORIO_AGENT_LABEL = "rj-escritorio"
    RJ_ESCRITORIO_DEV_AGENT_LABEL = "rj-escritorio-dev"

    # Datalake (production: GCS + BigQuery through basedosdados)
    GCS_BUCKET = "rj-escritorio-dev"
    BIGQUERY_PROJECT_DEV = "rj-escritorio-dev"
    BIGQUERY_PROJECT_PROD = "datario"

    # Partition columns derived from a date column, in path order
    PARTITION_COLUMNS = ("ano_particao", "mes_particao", "data_particao")
