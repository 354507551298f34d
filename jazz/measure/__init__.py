"""Measuring models and machines: likelihood, the n-gram baseline, musical statistics, speed."""
