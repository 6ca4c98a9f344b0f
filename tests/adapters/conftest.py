"""Shared helpers for the adapter tests: free loopback ports."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def loopback_port() -> int:
    return free_port()


@pytest.fixture(scope="session")
def port_factory() -> Callable[[], int]:
    return free_port
