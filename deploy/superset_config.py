"""Superset settings for the compose stack; every secret comes from the environment."""

import os

SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = (
    f"postgresql+psycopg2://superset:{os.environ['SUPERSET_DB_PASSWORD']}"
    "@airflow-metadata:5432/superset"
)
# BI users read the published marts through bi_reader only: no uploads, no DML from SQL Lab.
PREVENT_UNSAFE_DB_CONNECTIONS = True
FEATURE_FLAGS = {"ENABLE_TEMPLATE_PROCESSING": False}
BABEL_DEFAULT_LOCALE = "zh"
