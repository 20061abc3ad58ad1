"""Benchmarks: figures printed as ratios against baselines run in the same session."""
