# In-cluster image of lattice-controller (manifests/, charts/lattice-controller).
#   docker build -t lattice-controller:0.1.0 .                         # upstream slim Python base
#   docker build --build-arg BASE_IMAGE=<image with python3 + venv> .    # any Debian-like base with Python >= 3.11
# Dependencies are pinned by constraints.txt, the same file the test environments (tox) install with.
# The final stage holds the base's Python runtime and the application's virtual environment only: no pip,
# no apt/dpkg, no compiler; it runs as the fixed non-root UID 65532.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS build
# Offline builds (no package index reachable from the build): a context with a wheels/ directory and
# --build-arg PIP_NO_INDEX=1 --build-arg PIP_FIND_LINKS=/src/wheels (e2e/kind/build.sh does this).
ARG PIP_NO_INDEX
ARG PIP_FIND_LINKS
WORKDIR /src
COPY . .
RUN python3 -m venv /opt/lattice-controller \
 && /opt/lattice-controller/bin/pip install --no-cache-dir --disable-pip-version-check -c constraints.txt . \
 && /opt/lattice-controller/bin/pip uninstall -y -q pip \
 && /opt/lattice-controller/bin/lattice-controller version

FROM ${BASE_IMAGE} AS runtime
# Package managers and installers removed; the controller's user added without any user-management tool.
RUN rm -rf /usr/bin/apt* /usr/bin/dpkg* /usr/sbin/dpkg* /usr/lib/apt /var/lib/apt /var/cache/apt /etc/apt \
           /var/lib/dpkg /usr/local/bin/pip* /usr/bin/pip* /usr/share/python-wheels \
 && find / -xdev -depth \( -name 'pip' -o -name 'pip-*' -o -name ensurepip \) -path '*python3*' -exec rm -rf {} + \
 && echo 'controller:x:65532:65532:lattice-controller:/nonexistent:/usr/sbin/nologin' >> /etc/passwd \
 && echo 'controller:x:65532:' >> /etc/group

FROM scratch
COPY --from=runtime / /
COPY --from=build /opt/lattice-controller /opt/lattice-controller
ENV PATH=/opt/lattice-controller/bin:/usr/local/bin:/usr/bin:/bin \
    PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 LANG=C.UTF-8
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["lattice-controller"]
CMD ["run", "--leader-elect"]
