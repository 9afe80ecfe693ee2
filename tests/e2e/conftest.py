"""End-to-end fixtures: an SMTP catcher, Redis for Celery (skips loudly when unreachable; fails on CI).

Every test under tests/e2e is marked `e2e` (select with `-m e2e`, leave out with `-m "not e2e"`).
PostgreSQL comes from tests/conftest.py (`pg_server`, `pg_database`) with the same skip/fail rule.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.harness import SmtpCatcher

REDIS_URL = os.environ.get("COMPLAINT_OPS_TEST_REDIS", "redis://127.0.0.1:6379/7")
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def smtp_catcher():
    catcher = SmtpCatcher().start()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def redis_server():
    """The URL of a reachable Redis database for the Celery broker (redis://127.0.0.1:6379/7 by default,
    COMPLAINT_OPS_TEST_REDIS to override), or a loud skip (a failure on CI). Tests isolate themselves
    with a queue of their own (see `celery_queue`) instead of flushing a database another run may use."""
    import redis

    try:
        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
        client.ping()
        client.close()
    except Exception as exc:  # pragma: no cover - depends on the machine
        message = (f"Redis at {REDIS_URL} is not reachable ({str(exc).splitlines()[0]}). Start it with "
                   "`redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save \"\" --appendonly no`.")
        if os.environ.get("CI"):
            pytest.fail("CI must not skip the Celery end-to-end test: " + message)
        pytest.skip("SKIPPING CELERY END-TO-END TEST: " + message)
    return REDIS_URL


@pytest.fixture
def celery_queue(redis_server):
    """A Celery queue name used by this test only; its keys are removed from Redis before and after."""
    import uuid

    import redis

    name = f"co-e2e-{uuid.uuid4().hex[:10]}"
    client = redis.Redis.from_url(redis_server, socket_connect_timeout=2)

    def clear():
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)

    clear()
    yield name
    clear()
    client.close()
