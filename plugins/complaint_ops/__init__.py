"""complaint-ops: enforce the complaint-handling policy (../shared/POLICY.md) as daily batch runs.

The package is plain Python: the CLI, the Airflow DAGs and the tests all import it. Nothing here
touches a database or the network at import time. Importing it masks phone numbers in our log
records (complaint_ops.redact), so no entry point can forget to.
"""

from complaint_ops import redact as _redact

__version__ = "0.1.0"

_redact.install()
