"""pytest fixtures for the fake AWS endpoint; `tests/integration/conftest.py` star-imports them.

* `fake_aws` (session): a `python -m e2e.fakeaws` subprocess on a free loopback port (or the server at
  `$FAKE_AWS_ENDPOINT` if set); yields a `FakeAws` with `.endpoint`, `.region`, `.admin`.
* `aws_env` (function): resets AWS state, counters, faults and timings; returns the environment variables a
  client or the controller needs to talk to the fake.
* `lattice_client` (function, async): an aiobotocore vpc-lattice client with retries off (max_attempts 1).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from e2e.fakeaws.client import FakeAwsAdmin

__all__ = ["FakeAws", "FakeAwsProcess", "aws_env", "fake_aws", "lattice_client", "start_fake_aws"]

REGION = "us-west-2"
_READY = re.compile(r"fakeaws listening on (http://\S+)")
_REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True, slots=True)
class FakeAws:
    endpoint: str
    region: str
    admin: FakeAwsAdmin
    pid: int | None = None  # None when reusing $FAKE_AWS_ENDPOINT

    def env(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": self.region,
            "REGION": self.region,
        }


@dataclass(slots=True)
class FakeAwsProcess:
    """A `python -m e2e.fakeaws` subprocess; `stop()` ends it by PID and removes its log."""

    process: subprocess.Popen[bytes]
    endpoint: str
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as `(process, endpoint)`, the shape callers of the first version used."""
        return iter((self.process, self.endpoint))

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_path.unlink(missing_ok=True)


def start_fake_aws(
    env: dict[str, str] | None = None, timeout: float = 30.0, *, detached: bool = False
) -> FakeAwsProcess:
    """Start the server on a free loopback port (`--port 0`, the real port read from its ready line).

    `env` adds environment variables, e.g. {"FAKEAWS_DRAINING_SECONDS": "0.5"}. Output goes to a log file.
    The server stops with this process unless `detached` (its own session; stop it by its PID).
    """
    handle, name = tempfile.mkstemp(prefix="fakeaws-", suffix=".log")
    log_path = Path(name)
    argv = [sys.executable, "-m", "e2e.fakeaws", "--host", "127.0.0.1", "--port", "0"]
    with os.fdopen(handle, "wb") as log:
        process = subprocess.Popen(
            argv if detached else [*argv, "--exit-with-parent"],
            cwd=_REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=detached,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        found = _READY.search(text)
        if found:
            return FakeAwsProcess(process, found.group(1), log_path)
        if process.poll() is not None:
            raise RuntimeError(f"fakeaws exited with {process.returncode}:\n{text}")
        time.sleep(0.05)
    process.kill()
    process.wait()
    raise RuntimeError(f"fakeaws did not start within {timeout} s; log: {log_path}")


def _wait_until_answering(admin: FakeAwsAdmin, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            admin.health()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


@pytest.fixture(scope="session")
def fake_aws() -> Iterator[FakeAws]:
    reuse = os.environ.get("FAKE_AWS_ENDPOINT")
    if reuse:
        admin = FakeAwsAdmin(reuse)
        _wait_until_answering(admin)
        yield FakeAws(reuse.rstrip("/"), REGION, admin)
        return
    server = start_fake_aws()
    try:
        admin = FakeAwsAdmin(server.endpoint)
        _wait_until_answering(admin)
        yield FakeAws(server.endpoint, REGION, admin, server.pid)
    finally:
        server.stop()


@pytest.fixture
def aws_env(fake_aws: FakeAws) -> dict[str, str]:
    fake_aws.admin.reset()
    return fake_aws.env()


_sessions: list[Any] = []


def _shared_session() -> Any:
    """One aiobotocore session for the whole run: it caches the loaded service models between clients."""
    if not _sessions:
        from aiobotocore.session import get_session

        _sessions.append(get_session())
    return _sessions[0]


@pytest_asyncio.fixture
async def lattice_client(fake_aws: FakeAws, aws_env: dict[str, str]) -> AsyncIterator[Any]:
    from aiobotocore.config import AioConfig

    async with _shared_session().create_client(
        "vpc-lattice",
        region_name=fake_aws.region,
        endpoint_url=fake_aws.endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=AioConfig(retries={"max_attempts": 1, "mode": "standard"}),
    ) as client:
        yield client
