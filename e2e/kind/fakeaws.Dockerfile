# The fake AWS endpoint of the kind tier: moto server with the project's VPC Lattice completion
# (python -m e2e.fakeaws), listening on 0.0.0.0:4566. Test infrastructure only. Built by e2e/kind/build.sh.
ARG BASE_IMAGE=python:3.11-slim
FROM ${BASE_IMAGE}
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
WORKDIR /app
COPY . /src
RUN python3 -m venv /opt/fakeaws \
 && /opt/fakeaws/bin/pip install --no-cache-dir --disable-pip-version-check -c /src/constraints.txt 'moto[server]' boto3 \
 && mkdir -p e2e && mv /src/e2e/__init__.py /src/e2e/fakeaws e2e/ && rm -rf /src \
 && echo 'fakeaws:x:65532:65532::/nonexistent:/usr/sbin/nologin' >> /etc/passwd
ENV PATH=/opt/fakeaws/bin:/usr/local/bin:/usr/bin:/bin PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
USER 65532:65532
EXPOSE 4566
ENTRYPOINT ["python", "-m", "e2e.fakeaws", "--host", "0.0.0.0", "--port", "4566"]
