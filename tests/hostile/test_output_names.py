"""A server that names its outputs with ``..``, absolute paths, NUL, huge lengths or escapes
never makes sftui write outside the generation's folder; every rename is logged."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from tests.conftest import run_cli
from tests.hostile.fake_comfy import FakeComfy

RAW = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def hostile_outputs(tmp_path: Path) -> list[dict[str, str]]:
    names = [
        ("../../../../escape.png", ""),
        (str(tmp_path / "absolute.png"), ""),
        ("nul\x00byte.png", ""),
        ("A" * 5000 + ".png", ""),
        ("..\\..\\windows.png", ""),
        ("C:\\Windows\\system32\\drive.png", ""),
        ("..", ""),
        ("", ""),
        ("plain.png", "../../../../.."),
        ("plain.png", "/etc"),
        ("photo\u202egnp.exe", ""),
        ("\x1b]52;c;cm0gLXJmIH4=\x07clip.png", ""),
        ("unfinished.part", ""),
        ("ÿ\u200b.png", ""),
    ]
    return [{"filename": name, "subfolder": sub, "type": "output"} for name, sub in names]


def test_hostile_names_stay_inside_the_generation_folder(fake: FakeComfy, tmp_path: Path, log_file: Path) -> None:
    fake.outputs = [*hostile_outputs(tmp_path), {"filename": "../../temp-escape.png", "subfolder": "..", "type": "temp"}]
    work = tmp_path / "work"
    db = work / "x.db"
    before = {p for p in tmp_path.parent.iterdir()}
    proc = run_cli("generate", "--server", fake.url, "--prompt", "names", "--steps", "1", "--db", str(db), "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    gen = json.loads(proc.stdout.splitlines()[-1])["data"]
    assert gen["status"] == "completed"

    folder = work / "outputs" / gen["session_id"] / gen["id"]
    written = sorted(p for p in work.rglob("*") if p.is_file() and p.parent != work and "leases" not in p.parts)
    # Only the generation's folder received files, one per saved output, all distinct.
    assert all(p.parent == folder for p in written), written
    expected = [o for o in fake.outputs if o["type"] == "output"]
    assert len(written) == len(expected) == len(gen["output_files"])
    for path in written:
        name = path.name
        assert len(name.encode("utf-8")) <= 200 and not RAW.search(name) and "/" not in name and "\\" not in name
        assert not name.endswith(".part") and path.read_bytes() == fake.view_body
    assert not (tmp_path / "absolute.png").exists() and not (folder / "../../../../escape.png").resolve().exists()
    assert {p for p in tmp_path.parent.iterdir()} == before  # nothing beside this test's directory
    assert not list(work.rglob("*.part"))
    for entry in gen["output_files"]:
        assert entry["path"].startswith(f"outputs/{gen['session_id']}/{gen['id']}/")
        assert (work / entry["path"]).resolve().parent == folder.resolve()

    # The server was asked for its own names, verbatim; temp previews were not fetched.
    asked = [(r.query["filename"], r.query["subfolder"]) for r in fake.requests("/view")]
    assert asked == [(o["filename"], o["subfolder"]) for o in expected]

    log = log_file.read_text(encoding="utf-8")
    assert "unusable output filename '..'" in log and "unusable output filename ''" in log
    assert "output filename of 5004 bytes; shortened" in log
    assert log.count("stored as") >= 8
    assert not RAW.search(log.replace("\n", "").replace("\t", ""))

    shown = run_cli("generations", "show", gen["id"], "--db", str(db))
    assert shown.returncode == 0
    assert not RAW.search(shown.stdout.decode().replace("\n", "")), shown.stdout


def test_stored_paths_survive_a_reopen(fake: FakeComfy, tmp_path: Path) -> None:
    """The relative paths in the row resolve inside the data dir, whatever the server said."""
    fake.outputs = hostile_outputs(tmp_path)[:4]
    db = tmp_path / "y.db"
    proc = run_cli("generate", "--server", fake.url, "--prompt", "x", "--steps", "1", "--db", str(db))
    assert proc.returncode == 0, proc.stderr.decode()
    con = sqlite3.connect(db)
    (files,) = con.execute("SELECT output_files FROM comfyui_generations").fetchone()
    con.close()
    for entry in json.loads(files):
        target = (tmp_path / entry["path"]).resolve()
        assert target.is_file() and tmp_path.resolve() in target.parents
