"""End-to-end tests: real Airflow processes against real PostgreSQL, Redis and an SMTP server.

    python -m pytest -m e2e -rxs tests/e2e        # only these (about 2-3 minutes on 2 cores)
    python -m pytest -m "not e2e" tests           # everything else

Without PostgreSQL or Redis they skip with a loud reason; on CI (CI=true) they fail instead.
"""
