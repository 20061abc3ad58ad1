"""Audit: anomaly cases, their review by audit staff, and how well the rules find planted cases."""
