"""Fixtures for the Microsoft 365 tests: the fake Graph server on loopback and a signed-in O365 account."""

from tests.fakegraph.fixtures import account, config, fake, server

__all__ = ["account", "config", "fake", "server"]
