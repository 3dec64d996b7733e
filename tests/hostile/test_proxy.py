"""Servers behind a proxy: https/wss with certificate verification (and the explicit
``verify_tls = false`` opt-out), and ``[headers]`` from the config on every HTTP request
and the WebSocket upgrade, whose values never reach the log, the output or the database."""

from __future__ import annotations

import json
import sqlite3
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy

SECRET = "Bearer s3cr3t-7f1c9a-TOKEN"
API_KEY = "key-0b6e21d4-VALUE"


@pytest.fixture
def tls_fake(self_signed: tuple[Path, Path]) -> Iterator[FakeComfy]:
    cert, key = self_signed
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = FakeComfy()
    server.start(ssl_context=context)
    try:
        yield server
    finally:
        server.stop()


def _generated(proc) -> dict:
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout.splitlines()[-1])["data"]
    assert data["status"] == "completed"
    return data


def _generations(db: Path) -> int:
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT COUNT(*) FROM comfyui_generations").fetchone()[0]
    finally:
        con.close()


def test_https_with_an_untrusted_certificate_is_refused(tls_fake: FakeComfy, tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    proc = run_cli("generate", "--server", tls_fake.url, "--prompt", "x", "--db", str(db))
    assert proc.returncode == 1
    (line,) = proc.stderr.decode().splitlines()
    assert line.startswith(f"sftui: error: cannot reach ComfyUI at {tls_fake.url}: TLS certificate not trusted")
    assert _generations(db) == 0 and not tls_fake.seen  # the handshake failed before any request


def test_verify_tls_false_is_an_explicit_opt_out(tls_fake: FakeComfy, tmp_path: Path, config_file: Path) -> None:
    config_file.write_text("verify_tls = false\n", encoding="utf-8")
    gen = _generated(run_cli("generate", "--server", tls_fake.url, "--prompt", "x", "--db", str(tmp_path / "t.db"), "--json"))
    assert gen["server_url"] == tls_fake.url
    # Both halves went over TLS: the HTTP calls and the wss:// socket.
    assert tls_fake.requests("/prompt") and tls_fake.requests("/view") and len(tls_fake.ws_upgrades) == 1


def test_a_trusted_certificate_verifies_http_and_websocket(tls_fake: FakeComfy, self_signed: tuple[Path, Path], tmp_path: Path) -> None:
    cert, _ = self_signed
    _generated(run_cli("generate", "--server", tls_fake.url, "--prompt", "x", "--db", str(tmp_path / "t.db"), "--json", env={"SSL_CERT_FILE": str(cert)}))
    assert len(tls_fake.ws_upgrades) == 1


def test_config_headers_reach_every_request_and_never_the_log(fake: FakeComfy, tmp_path: Path, config_file: Path, log_file: Path) -> None:
    fake.required_headers = {"Authorization": SECRET, "X-Api-Key": API_KEY}
    db = tmp_path / "h.db"
    refused = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(db))
    assert refused.returncode == 1
    assert refused.stderr.decode().strip() == f"sftui: error: ComfyUI at {fake.url} answered GET /object_info with HTTP 401 Unauthorized: 401: Unauthorized"

    config_file.write_text(f'[headers]\nAuthorization = "{SECRET}"\nX-Api-Key = "{API_KEY}"\n', encoding="utf-8")
    fake.seen.clear()
    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--db", str(db), "--json", env={"SFTUI_DEBUG": "1"})
    _generated(proc)
    paths = {seen.path for seen in fake.seen}
    assert {"/object_info", "/prompt", "/ws", "/view"} <= paths
    for seen in fake.seen:
        assert seen.headers.get("Authorization") == SECRET and seen.headers.get("X-Api-Key") == API_KEY, seen.path
        assert "Origin" not in seen.headers  # ComfyUI answers 403 to a foreign Origin
    assert len(fake.ws_upgrades) == 1 and fake.ws_upgrades[0]["Authorization"] == SECRET

    leaks = {"log": log_file.read_bytes(), "stdout": proc.stdout, "stderr": proc.stderr}
    leaks.update({p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("h.db")})
    for where, data in leaks.items():
        for secret in (SECRET, API_KEY, "s3cr3t-7f1c9a", "0b6e21d4"):
            assert secret.encode() not in data, f"{secret} in {where}"
    assert b"queued prompt" in leaks["log"]


def test_url_credentials_stay_out_of_messages_and_the_log(fake: FakeComfy, tmp_path: Path, log_file: Path) -> None:
    # http://user:password@host sends Basic auth (a common proxy setup); errors show the URL without it.
    fake.required_headers = {"Authorization": "Basic dXNlcjpwYXNzLTlkMmY="}  # user:pass-9d2f
    url = fake.url.replace("http://", "http://user:pass-9d2f@")
    _generated(run_cli("generate", "--server", url, "--prompt", "x", "--db", str(tmp_path / "u.db"), "--json", env={"SFTUI_DEBUG": "1"}))
    fake.required_headers = {"Authorization": "Basic wrong"}
    proc = run_cli("options", "--server", url, env={"XDG_CACHE_HOME": str(tmp_path / "no-cache")})
    assert proc.returncode == 1 and f"ComfyUI at {fake.url} answered" in proc.stderr.decode()
    for data in (log_file.read_bytes(), proc.stderr, proc.stdout):
        assert b"pass-9d2f" not in data
