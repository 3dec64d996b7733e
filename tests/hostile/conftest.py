from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT
from tests.hostile.fake_comfy import FakeComfy


@pytest.fixture
def fake() -> Iterator[FakeComfy]:
    server = FakeComfy()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass
class Run:
    returncode: int
    stdout: bytes
    stderr: bytes
    peak_rss_mb: float

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.decode("utf-8").splitlines() if line.strip()]


def run_measured(*args: str, tmp: Path, env: dict[str, str] | None = None, timeout: float = 60) -> Run:
    """``sftui ARGS`` in a child process that reports its own peak RSS (see ``peak_rss``)."""
    if not Path("/proc/self/status").exists():
        pytest.skip("peak RSS is read from /proc (Linux)")
    peak = tmp / "peak-rss.txt"
    peak.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-m", "tests.hostile.peak_rss", str(peak), *args],
        capture_output=True, env={**os.environ, **(env or {})}, cwd=REPO_ROOT, timeout=timeout,
    )  # fmt: skip
    return Run(proc.returncode, proc.stdout, proc.stderr, float(peak.read_text()))


@pytest.fixture
def log_file() -> Path:
    from sftui.config import log_path

    return log_path()


@pytest.fixture
def config_file() -> Path:
    from sftui.config import config_path

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (subjectAltName IP) and its key, made with openssl, offline."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-addext", "basicConstraints=critical,CA:TRUE"],
        check=True, capture_output=True, timeout=30,
    )  # fmt: skip
    return cert, key
