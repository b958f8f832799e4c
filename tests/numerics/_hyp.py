"""Shared Hypothesis settings: deterministic and modest, so the suite stays fast."""

from hypothesis import HealthCheck, settings

EXACT = settings(max_examples=200, derandomize=True, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=60, derandomize=True, deadline=None,
               suppress_health_check=[HealthCheck.too_slow])
