"""Fixtures shared by every test module."""

from tests.feedserver import feed_server  # noqa: F401  (pytest fixture)
