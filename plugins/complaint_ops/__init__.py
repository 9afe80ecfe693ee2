"""complaint-ops: enforce the complaint-handling policy (../shared/POLICY.md) as daily batch runs.

The package is plain Python: the CLI, the Airflow DAGs and the tests all import it. Nothing here
touches a database or the network at import time.
"""

__version__ = "0.1.0"
