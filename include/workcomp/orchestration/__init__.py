"""Airflow glue: the environment the DAGs run in, and the work their tasks do."""
