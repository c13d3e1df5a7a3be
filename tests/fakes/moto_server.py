"""moto's server mode on loopback: one process per test session, reset before each test.

The CLI under test runs in a subprocess, so the in-process ``mock_aws`` cannot reach it; the
server can (``AWS_ENDPOINT_URL=http://127.0.0.1:PORT``, which boto3 honours by itself).
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

MOTO_ACCOUNT_ID = "706635527432"  # our AWS owner account: seeded AMIs belong to it
CHINA_ACCOUNT_ID = "306934455918"  # owner of the AMIs in cn-* regions


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _moto_server_command() -> list[str]:
    local = Path(sys.executable).with_name("moto_server")
    if local.exists():
        return [str(local)]
    found = shutil.which("moto_server")
    if found:
        return [found]
    return [sys.executable, "-m", "moto.server"]


class MotoServer:
    """One moto server; every request is answered as ``account_id`` (moto's MOTO_ACCOUNT_ID
    wins over access keys, so a second account needs a second server)."""

    def __init__(self, account_id: str = MOTO_ACCOUNT_ID) -> None:
        self.account_id = account_id
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(MOTO_ACCOUNT_ID=account_id, MOTO_EC2_LOAD_DEFAULT_AMIS="false")
        self.proc = subprocess.Popen([*_moto_server_command(), "-H", "127.0.0.1",
                                      "-p", str(self.port)], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/moto-api/", timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("moto_server did not start within 30 s") from None
                time.sleep(0.05)

    def reset(self) -> None:
        request = urllib.request.Request(f"{self.url}/moto-api/reset", method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10):
            pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


_servers: dict[str, MotoServer] = {}
_server_lock = threading.Lock()


def shared_server(account_id: str = MOTO_ACCOUNT_ID) -> MotoServer:
    """The session's moto server for ``account_id`` (started on first use, stopped at exit)."""
    with _server_lock:
        server = _servers.get(account_id)
        if server is None or server.proc.poll() is not None:
            server = _servers[account_id] = MotoServer(account_id)
            atexit.register(server.stop)
        return server


NOWHERE = "/nonexistent/os-tooling-tests/aws"


def aws_env(endpoint: str, *, region: str = "eu-west-1") -> dict[str, str]:
    """Environment for a boto3 client or the CLI talking to a loopback AWS at ``endpoint``.

    Dummy keys, no instance-metadata lookups (those would leave loopback), no user files.
    """
    nowhere = NOWHERE
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": region,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": nowhere,
        "AWS_SHARED_CREDENTIALS_FILE": nowhere,
    }


def clear_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("AWS_") or key.startswith("MOTO_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def moto_session() -> MotoServer:
    return shared_server()


@pytest.fixture
def moto(moto_session: MotoServer, monkeypatch: pytest.MonkeyPatch) -> MotoServer:
    """A clean moto server, and this process's environment pointed at it."""
    moto_session.reset()
    clear_aws_env(monkeypatch)
    for key, value in aws_env(moto_session.url).items():
        monkeypatch.setenv(key, value)
    return moto_session


@pytest.fixture
def moto_china(moto: MotoServer) -> MotoServer:
    """A second, clean moto server standing for the China partition: its AMIs belong to the
    China owner account. Route ``cn-*`` requests to it with LatencyProxy(routes=...)."""
    server = shared_server(CHINA_ACCOUNT_ID)
    server.reset()
    return server
