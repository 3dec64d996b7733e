"""``sftui sessions list``: the newest N, or a title search, for databases of thousands of sessions."""

from __future__ import annotations

import json

from tests.conftest import run_cli


def _titles(proc) -> list[str]:
    assert proc.returncode == 0, proc.stderr.decode()
    envelope = json.loads(proc.stdout)
    assert envelope["success"] is True
    return [session["title"] for session in envelope["data"]]


def test_limit_and_search(tmp_path) -> None:
    db = str(tmp_path / "x.db")
    for title in ("Portraits", "Landscapes", "Ports at night", "100% cotton"):
        assert run_cli("sessions", "create", title, "--db", db).returncode == 0
    assert _titles(run_cli("sessions", "list", "--json", "--db", db)) == ["100% cotton", "Ports at night", "Landscapes", "Portraits"]
    assert _titles(run_cli("sessions", "list", "--limit", "2", "--json", "--db", db)) == ["100% cotton", "Ports at night"]
    assert _titles(run_cli("sessions", "list", "--search", "PORTS", "--json", "--db", db)) == ["Ports at night", "Portraits"]
    assert _titles(run_cli("sessions", "list", "--search", "ports", "--limit", "1", "--json", "--db", db)) == ["Ports at night"]
    assert _titles(run_cli("sessions", "list", "--search", "%", "--json", "--db", db)) == ["100% cotton"]

    bad = run_cli("sessions", "list", "--limit", "0", "--db", db)
    assert bad.returncode != 0 and b"Traceback" not in bad.stderr
    assert bad.stderr.decode().strip() == "sftui: error: limit must be at least 1, not 0"
