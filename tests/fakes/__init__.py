"""Fake upstream providers and a loopback server runner for integration tests."""
