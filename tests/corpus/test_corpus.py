"""Every corpus input through the real CLI (cases.toml says what each must produce).

Refused inputs: one clear line, a non-zero exit, no traceback, nothing written.
Valid inputs with hostile text: stored verbatim, and printed with no escape
sequence, markup-free control or bidi override reaching the terminal.
Most runs are in-process (``sftui.cli.run``); cases marked ``subprocess`` also
go through ``python -m sftui`` so the real entry point and its bytes are checked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from sftui.cli import run
from sftui.cli.output import inert
from tests.conftest import run_cli
from tests.corpus import generated
from tests.corpus.harness import FILES, Case, assert_inert, counts, error_line, load_cases, rows, strings_in

CASES = load_cases()
PAIRS = [(case, command) for case in CASES for command in case.commands]


def _id(pair: tuple[Case, str]) -> str:
    return f"{pair[0].source.removeprefix('generated:')}-{pair[1]}"


@pytest.fixture(scope="module")
def object_info_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The simulator's node definitions, so imports and conversions run offline."""
    from sftui.comfy.simulator.catalog import Catalog

    path = tmp_path_factory.mktemp("oi") / "object_info.json"
    path.write_text(json.dumps(Catalog().info), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database that already holds a session, a workflow and a generation (so "unchanged" means something)."""
    from sftui import db

    path = tmp_path_factory.mktemp("template") / "corpus.db"
    db.open_database(path)
    try:
        session = db.create_session("existing session")
        prompt = json.loads((FILES / "api-without-lora.json").read_text(encoding="utf-8"))
        workflow = db.create_workflow(name="existing workflow", workflow_json=json.dumps(prompt))
        gen = db.create_generation(session_id=session.id, prompt_text="old", parameters={"seed": 1}, workflow_json_snapshot=json.dumps(prompt), workflow_id=workflow.id)
        db.fail_generation(gen.id, error="seeded failure")
    finally:
        db.close_database()
    return path


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    path = tmp_path / "corpus.db"
    shutil.copyfile(template_db, path)
    return path


_generated: dict[str, Path] = {}


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _generated.clear()
    return tmp_path_factory.mktemp("generated")


def input_path(case: Case, generated_dir: Path) -> Path:
    name = case.generated
    if name is None:
        return FILES / case.source
    if name not in _generated:
        _generated[name] = generated.make(name, generated_dir)
    return _generated[name]


def argv(command: str, path: Path, db: Path, object_info: Path, request: pytest.FixtureRequest, case: Case) -> list[str]:
    if command == "import":
        extra = ["--name", case.name] if case.name is not None else []
        return ["workflows", "import", str(path), "--db", str(db), "--object-info", str(object_info), *extra]
    if command == "convert":
        return ["workflows", "convert", str(path), "--db", str(db), "--object-info", str(object_info)]
    server = request.getfixturevalue("simulator").url
    return ["generate", "--workflow", str(path), "--db", str(db), "--server", server, "--steps", "1"]


def in_process(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("pair", [p for p in PAIRS if not p[0].ok], ids=_id)
def test_refused_input(pair: tuple[Case, str], db_path: Path, object_info_file: Path, generated_dir: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> None:
    case, command = pair
    args = argv(command, input_path(case, generated_dir), db_path, object_info_file, request, case)
    before = counts(db_path)

    code, out, err = in_process(args, capsys)
    assert code != 0 and out == ""
    line = error_line(err)
    assert case.expected(command) in line, line
    assert_inert(err, what="stderr")
    assert counts(db_path) == before
    if case.generated is not None:
        return  # the big inputs cost seconds each; their envelope is the same as everyone's

    code, out, err = in_process([*args, "--json"], capsys)
    assert code != 0 and err == ""
    (envelope,) = [json.loads(line) for line in out.splitlines()]
    assert envelope["success"] is False and "\n" not in envelope["error"]["message"]
    assert case.expected(command) in inert(envelope["error"]["message"])
    assert_inert(out, what="--json stdout")
    assert counts(db_path) == before


@pytest.mark.parametrize("pair", [p for p in PAIRS if p[0].ok], ids=_id)
def test_valid_input_is_stored_verbatim_and_printed_inert(
    pair: tuple[Case, str], db_path: Path, object_info_file: Path, generated_dir: Path, request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    case, command = pair
    args = argv(command, input_path(case, generated_dir), db_path, object_info_file, request, case)
    before = counts(db_path)
    code, out, err = in_process(args, capsys)
    assert code == 0, err
    assert "Traceback" not in err and "sftui: error" not in err
    warnings = [line for line in err.splitlines() if line.startswith("sftui: warning: ")]
    if case.warning is not None:
        assert any(case.warning in w for w in warnings), err
    if command == "convert":
        # Printed JSON escapes C0 controls; the JSON itself is the verbatim prompt.
        assert_inert(out, what="convert stdout", c0_only=True)
        assert case.verbatim() in strings_in(json.loads(out))
        code, out, _ = in_process([*args, "--json"], capsys)
        assert code == 0 and case.verbatim() in strings_in(json.loads(out)["data"]["prompt"])
        assert_inert(out, what="convert --json stdout")
    else:
        assert_inert(out, what="stdout")
        assert_inert(err, what="stderr")
        check = _check_import if command == "import" else _check_generation
        check(case, db_path, before, out, capsys)


def _check_import(case: Case, db: Path, before: dict[str, int], out: str, capsys: pytest.CaptureFixture[str]) -> None:
    after = counts(db)
    assert after["comfyui_workflows"] == before["comfyui_workflows"] + 1
    assert {k: v for k, v in after.items() if k != "comfyui_workflows"} == {k: v for k, v in before.items() if k != "comfyui_workflows"}
    (row,) = rows(db, "SELECT * FROM comfyui_workflows WHERE name != 'existing workflow'")
    if case.name is not None:
        assert row["name"] == case.name
    stored = json.loads(row["workflow_ui_json"] or row["workflow_json"])
    assert case.verbatim() in strings_in(stored) | strings_in(json.loads(row["workflow_json"]))
    for args in (["workflows", "show", row["id"]], ["workflows", "list"], ["workflows", "show", row["id"], "--json"], ["workflows", "list", "--json"]):
        code, shown, err = in_process([*args, "--db", str(db)], capsys)
        assert code == 0 and err == ""
        assert_inert(shown, what=" ".join(args))
        if "--json" in args:
            data = json.loads(shown)["data"]
            names = {item["name"] for item in data} if isinstance(data, list) else {data["name"]}
            assert row["name"] in names
        elif case.name is not None:
            assert inert(case.name) in shown


def _check_generation(case: Case, db: Path, before: dict[str, int], out: str, capsys: pytest.CaptureFixture[str]) -> None:
    after = counts(db)
    assert after["comfyui_generations"] == before["comfyui_generations"] + 1
    (gen,) = rows(db, "SELECT * FROM comfyui_generations WHERE prompt_text != 'old'")
    assert gen["status"] == "completed" and out.startswith(f"completed {gen['id']}")
    assert gen["prompt_text"] == case.verbatim()
    for args in (["sessions", "show", gen["session_id"]], ["generations", "show", gen["id"]], ["generations", "show", gen["id"], "--json"]):
        code, shown, err = in_process([*args, "--db", str(db)], capsys)
        assert code == 0 and err == ""
        assert_inert(shown, what=" ".join(args))
        if "--json" in args:
            assert json.loads(shown)["data"]["prompt_text"] == case.verbatim()
        else:
            assert inert(case.verbatim())[:40] in shown


@pytest.mark.parametrize("case", [c for c in CASES if c.subprocess], ids=lambda c: c.source.removeprefix("generated:"))
def test_real_entry_point(case: Case, db_path: Path, object_info_file: Path, generated_dir: Path, request: pytest.FixtureRequest) -> None:
    command = case.commands[0]
    args = argv(command, input_path(case, generated_dir), db_path, object_info_file, request, case)
    before = counts(db_path)
    proc = run_cli(*args)
    out, err = proc.stdout, proc.stderr
    for raw, what in ((out, "stdout"), (err, "stderr")):
        assert b"\x1b" not in raw and b"\x07" not in raw and b"\xc2\x9b" not in raw and "\u202e".encode() not in raw, what
        assert_inert(raw.decode("utf-8"), what=what)
    if case.ok:
        assert proc.returncode == 0, err
        assert counts(db_path) != before
    else:
        assert proc.returncode == 1 and out == b""
        assert case.expected(command) in error_line(err.decode("utf-8"))
        assert counts(db_path) == before


def test_the_corpus_is_big_enough() -> None:
    committed = [p for p in FILES.iterdir() if p.is_file()]
    listed = {c.source for c in CASES}
    assert len(committed) >= 40
    # Every committed file is a case, and every case's file exists.
    assert {p.name for p in committed} <= listed
    assert all((FILES / c.source).is_file() for c in CASES if c.generated is None)
    assert {c.generated for c in CASES if c.generated} == set(generated.GENERATORS)
