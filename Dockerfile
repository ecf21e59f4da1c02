# The image every flow runs in: Prefect's Kubernetes agent starts it with the tag of
# the commit that registered the flow, and `Module` storage imports the flow from the
# package installed here. CI builds and pushes it (see .github/workflows/deploy.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIPELINES_DBT_PROJECT_DIR=/app/queries

# An unprivileged user runs the flows; it owns nothing of the code.
RUN groupadd --system --gid 1000 pipelines \
    && useradd --system --uid 1000 --gid pipelines --create-home --home-dir /home/pipelines pipelines

WORKDIR /app

# The same locked, hashed dependencies as `make setup` and `make test`.
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

# The package itself, editable so that it keeps the repository's layout (`queries/`
# and relative data paths resolve against /app).
COPY pyproject.toml README.md ./
COPY pipelines ./pipelines
COPY pipelines_cli ./pipelines_cli
COPY queries ./queries
RUN pip install --no-cache-dir --no-deps --no-build-isolation --editable . \
    && python -c "import pipelines"

# Numeric, so that Kubernetes' runAsNonRoot can check it.
USER 1000:1000
