"""Links to the Prefect UI, the same for failure notifications and `pipelines run-cloud`.

- `PIPELINES_PREFECT_UI_URL`: the UI's base URL (default in global constants).
- `PIPELINES_PREFECT_TENANT_SLUG`: the tenant in the UI's paths, `default` on a
  Prefect Server.
"""

import os

from pipelines.constants import constants

UI_URL_ENV_VAR = "PIPELINES_PREFECT_UI_URL"
TENANT_SLUG_ENV_VAR = "PIPELINES_PREFECT_TENANT_SLUG"


def prefect_ui_url() -> str:
    """The Prefect UI's base URL, without a trailing slash."""
    url = os.environ.get(UI_URL_ENV_VAR, "").strip().rstrip("/")
    return url or constants.PREFECT_DEFAULT_UI_URL.value.rstrip("/")


def flow_run_url(flow_run_id: str, tenant_slug: str | None = None) -> str:
    """The page of a flow run: `<ui>/<tenant slug>/flow-run/<id>`.

    Args:
        flow_run_id: the run's id.
        tenant_slug: the tenant, when known from the server; else the configured one.
    """
    slug = (
        tenant_slug
        or os.environ.get(TENANT_SLUG_ENV_VAR, "").strip()
        or constants.PREFECT_TENANT_SLUG.value
    )
    return f"{prefect_ui_url()}/{slug}/flow-run/{flow_run_id}"
