"""Asserts in the shared helpers (``tests/_*.py``) are rewritten as in a test module, so a failed
comparison made in a helper shows the values compared (``tests/conftest.py`` registers them)."""

from __future__ import annotations

import pytest

from tests._gateway_answers import same_cors


def test_a_failed_assert_in_a_helper_shows_what_it_compared() -> None:
    with pytest.raises(AssertionError) as failed:
        same_cors({"Access-Control-Allow-Origin": {"*"}}, {})  # a bare ``assert set(ours) == set(kubo)``
    assert "Access-Control-Allow-Origin" in str(failed.value)
