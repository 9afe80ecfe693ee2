# The official Airflow image plus this project's pinned requirements and package.
FROM apache/airflow:3.3.2-python3.11
COPY --chown=airflow:root requirements.txt pyproject.toml /opt/complaint-ops/
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -r /opt/complaint-ops/requirements.txt
COPY --chown=airflow:root . /opt/complaint-ops/
RUN pip install --no-cache-dir --no-deps -e /opt/complaint-ops
ENV COMPLAINT_OPS_HOME=/opt/complaint-ops
