"""Parametrisation for tests that must hold on both databases (storage, scheduler)."""

import pytest

both_backends = pytest.mark.parametrize(
    "fresh_db_url", ["sqlite", "postgresql"], indirect=True, ids=["sqlite", "postgresql"]
)
