# Airflow image with the workcomp project installed from uv.lock (same versions as local).
FROM apache/airflow:3.3.2-python3.11

USER root
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/*
USER airflow

WORKDIR /opt/workcomp
COPY --chown=airflow:0 pyproject.toml uv.lock README.md ./
RUN pip install --no-cache-dir uv==0.13.9 \
 && uv export --locked --no-dev --extra celery --no-emit-project --no-hashes -o /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt
COPY --chown=airflow:0 include ./include
COPY --chown=airflow:0 dags ./dags
COPY --chown=airflow:0 dbt_project ./dbt_project
COPY --chown=airflow:0 expectations ./expectations
RUN pip install --no-cache-dir --no-deps . \
 && workcomp dbt-manifest

ENV AIRFLOW__CORE__DAGS_FOLDER=/opt/workcomp/dags \
    WORKCOMP_STATE_DIR=/opt/airflow/workcomp-state \
    WORKCOMP_LANDING_DIR=/landing \
    GX_ANALYTICS_ENABLED=false \
    DO_NOT_TRACK=1
