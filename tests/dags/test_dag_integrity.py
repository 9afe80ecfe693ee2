"""Every DAG imports, parses fast, follows team policy (owner, tags, retries, doc_md), has the expected shape."""

import subprocess
import sys
import time
from pathlib import Path

import pytest

DAGS = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert "complaint_ops_daily" in dagbag.dags


def test_team_policy(dagbag):
    for dag_id, dag in dagbag.dags.items():
        assert dag.tags and "complaint-ops" in dag.tags, dag_id
        assert dag.doc_md and "Runbook" in dag.doc_md, dag_id
        for t in dag.tasks:
            assert t.owner == "complaint-ops" and t.retries >= 1, (dag_id, t.task_id)


@pytest.mark.parametrize(("dag_id", "shape"), [
    ("complaint_ops_daily", {"calendar_check": ["data_quality", "derive_orders"], "derive_orders": ["run_day"],
                             "run_day": ["send_mail"], "send_mail": [], "data_quality": []}),
    ("complaint_ops_alerts", {"raise_alerts": ["send_mail"], "send_mail": []}),
    ("complaint_ops_reports", {"queue_reports": ["send_mail"], "send_mail": []}),
])
def test_dag_structure(dagbag, dag_id, shape):
    dag = dagbag.dags[dag_id]
    assert {t.task_id: sorted(t.downstream_task_ids) for t in dag.tasks} == shape
    assert dag.catchup is False


def test_failures_mail_ops_and_the_daily_run_has_a_deadline(dagbag):
    from complaint_ops import ops

    for dag in dagbag.dags.values():
        for t in dag.tasks:
            callbacks = t.on_failure_callback if isinstance(t.on_failure_callback, list) else [t.on_failure_callback]
            assert ops.on_task_failure in callbacks, (dag.dag_id, t.task_id)
            assert t.retry_exponential_backoff
    assert dagbag.dags["complaint_ops_daily"].deadline is not None


@pytest.mark.parametrize("path", sorted(DAGS.glob("*.py")), ids=lambda p: p.name)
def test_each_dag_file_parses_in_under_a_second(path):
    # A fresh interpreter, as the dag-processor would: imports of the file itself, timed.
    code = ("import time, runpy, airflow.sdk; t = time.perf_counter(); runpy.run_path(%r); "
            "print(time.perf_counter() - t)" % str(path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout.strip().splitlines()[-1]) < 1.0
