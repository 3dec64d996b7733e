"""The schema: migrations 0001..0003, the upgrade of a pre-existing database, pragmas."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import peewee as pw
import pytest

from sftui import db
from sftui.db.connection import TrackedSqliteDatabase
from sftui.db.migrations import MIGRATION_NAMES, applied_migrations, run_migrations
from sftui.errors import DatabaseError, NotFoundError

# Design §4.2 (column -> NOT NULL?), plus ids/FKs of §2.2. session_id is NOT NULL per §2.2.
GENERATION_COLUMNS = {
    "id": True, "session_id": True, "workflow_id": False, "workflow_json_snapshot": False,
    "prompt_id": False, "prompt_text": False, "negative_prompt": False, "parameters": True,
    "width": False, "height": False, "steps": False, "cfg_scale": False, "seed": False,
    "sampler_name": False, "scheduler": False, "batch_size": True, "checkpoint_name": False,
    "loras_used": True, "status": True, "outputs": False, "error": False,
    "generation_time_seconds": False, "batch_index": True, "created_at": True, "completed_at": False,
}  # fmt: skip
WORKFLOW_COLUMNS = {
    "id": True, "profile_id": False, "name": True, "description": False, "workflow_json": True,
    "default_parameters": True, "extracted_parameters": True, "thumbnail_url": False,
    "is_default": True, "generation_count": True, "created_at": True, "updated_at": True,
}  # fmt: skip
SESSION_COLUMNS = {
    "id": True, "profile_id": False, "current_workflow_id": False, "title": True,
    "last_parameters": True, "generation_count": True, "completed_count": True,
    "failed_count": True, "created_at": True, "updated_at": True,
}  # fmt: skip
SFTUI_GENERATION_COLUMNS = {
    "server_url", "client_id", "workflow_ui_snapshot", "output_files", "error_details", "started_at", "updated_at",
}  # fmt: skip


def table_info(conn: pw.SqliteDatabase, table: str) -> dict[str, dict[str, Any]]:
    cursor = conn.execute_sql(f'PRAGMA table_info("{table}")')
    names = [d[0] for d in cursor.description]
    return {row[1]: dict(zip(names, row)) for row in cursor.fetchall()}


def index_columns(conn: pw.SqliteDatabase, table: str) -> set[tuple[str, ...]]:
    out = set()
    for row in conn.execute_sql(f'PRAGMA index_list("{table}")').fetchall():
        cols = conn.execute_sql(f'PRAGMA index_info("{row[1]}")').fetchall()
        out.add(tuple(col[2] for col in sorted(cols)))
    return out


def pragmas(conn: pw.SqliteDatabase) -> dict[str, Any]:
    return {
        name: conn.execute_sql(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
    }


def test_fresh_database_has_every_design_column(database: pw.SqliteDatabase) -> None:
    for table, expected in (
        ("comfyui_generations", GENERATION_COLUMNS),
        ("comfyui_workflows", WORKFLOW_COLUMNS),
        ("comfyui_sessions", SESSION_COLUMNS),
    ):
        info = table_info(database, table)
        missing = set(expected) - set(info)
        assert not missing, f"{table} lacks {missing}"
        assert {col: bool(info[col]["notnull"]) for col in expected} == expected, table
    gen = table_info(database, "comfyui_generations")
    assert SFTUI_GENERATION_COLUMNS <= set(gen)
    assert {"workflow_ui_json", "source_format"} <= set(table_info(database, "comfyui_workflows"))
    assert "draft" in table_info(database, "comfyui_sessions")
    assert gen["sampler_name"]["type"] == "VARCHAR(50)"
    assert gen["checkpoint_name"]["type"] == "VARCHAR(255)"
    assert table_info(database, "comfyui_workflows")["thumbnail_url"]["type"] == "VARCHAR(500)"
    defaults = {col: info["dflt_value"] for col, info in gen.items()}
    assert defaults["parameters"] == "'{}'" and defaults["loras_used"] == "'[]'"
    assert defaults["batch_size"] == "1" and defaults["batch_index"] == "0" and defaults["output_files"] == "'[]'"


def test_fresh_database_indexes_and_foreign_keys(database: pw.SqliteDatabase) -> None:
    gen_indexes = index_columns(database, "comfyui_generations")
    for cols in (("seed",), ("checkpoint_name",), ("session_id", "created_at"), ("session_id", "created_at", "id"),
                 ("status",)):  # fmt: skip
        assert cols in gen_indexes
    session_indexes = index_columns(database, "comfyui_sessions")
    assert ("updated_at", "id") in session_indexes and ("title",) in session_indexes  # list order; --session TITLE
    fks = {
        (table, row[3]): (row[2], row[6])
        for table in ("comfyui_generations", "comfyui_sessions", "comfyui_workflows")
        for row in database.execute_sql(f'PRAGMA foreign_key_list("{table}")').fetchall()
    }
    assert fks[("comfyui_generations", "session_id")] == ("comfyui_sessions", "CASCADE")
    assert fks[("comfyui_generations", "workflow_id")] == ("comfyui_workflows", "SET NULL")
    assert fks[("comfyui_sessions", "current_workflow_id")] == ("comfyui_workflows", "SET NULL")
    assert fks[("comfyui_workflows", "profile_id")][0] == "profiles"
    assert applied_migrations(database) == list(MIGRATION_NAMES)


def test_pragmas_on_every_threads_connection(database: pw.SqliteDatabase) -> None:
    expected = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 10000, "synchronous": 1}
    assert pragmas(database) == expected
    seen: list[dict[str, Any]] = []
    worker = threading.Thread(target=lambda: seen.append(pragmas(database)))
    worker.start()
    worker.join(10)
    assert seen == [expected]


def test_default_profile_and_cheap_reopen(database: pw.SqliteDatabase, db_path: Path) -> None:
    rows = database.execute_sql("SELECT id, name FROM profiles").fetchall()
    assert rows == [(db.DEFAULT_PROFILE_ID, "default")]
    assert db.open_database(db_path) is database
    assert db.open_database(str(db_path.parent / "." / db_path.name)) is database
    db.close_database()
    again = db.open_database(db_path)  # a second open of a migrated file changes nothing
    assert again is not database
    assert again.execute_sql("SELECT COUNT(*) FROM profiles").fetchone()[0] == 1
    assert applied_migrations(again) == list(MIGRATION_NAMES)


def test_switching_paths_rebinds_the_models(tmp_path: Path) -> None:
    db.open_database(tmp_path / "a.db")
    db.create_session("in a")
    db.open_database(tmp_path / "b.db")
    assert db.list_sessions() == []
    db.open_database(tmp_path / "a.db")
    assert [s.title for s in db.list_sessions()] == ["in a"]
    db.close_database()
    with pytest.raises(DatabaseError, match="no database is open"):
        db.list_sessions()


def test_unopenable_paths_are_database_errors(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(DatabaseError, match="dir.db"):
        db.open_database(tmp_path / "dir.db")
    (tmp_path / "junk.db").write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(DatabaseError, match="junk.db"):
        db.open_database(tmp_path / "junk.db")


def test_database_from_a_newer_sftui_is_refused(db_path: Path) -> None:
    db.open_database(db_path).execute_sql(
        "INSERT INTO schema_migrations (name, applied_at) VALUES ('9999_future', '2030-01-01T00:00:00.000000Z')"
    )
    db.close_database()
    with pytest.raises(DatabaseError, match="9999_future"):
        db.open_database(db_path)


# --- upgrading a database that has only the pre-existing schema (design §8.1) -------------

WF_A, WF_B = "11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"
S_1, S_2 = "33333333-3333-4333-8333-333333333333", "44444444-4444-4444-8444-444444444444"
PROFILE = "55555555-5555-4555-8555-555555555555"

LEGACY_ROWS: dict[str, list[dict[str, Any]]] = {
    "profiles": [{"id": PROFILE, "name": "alice", "created_at": "2025-12-01 09:00:00"}],
    "comfyui_workflows": [
        {"id": WF_A, "profile_id": PROFILE, "name": "SDXL Standard", "description": "Basic SDXL workflow",
         "workflow_json": '{"3": {"class_type": "KSampler", "inputs": {"seed": 5}}}',
         "created_at": "2025-12-10T10:00:00Z", "updated_at": "2025-12-11T08:30:00.250Z"},
        {"id": WF_B, "profile_id": None, "name": "Upscale", "description": None,
         "workflow_json": '{"1": {"class_type": "LoadImage", "inputs": {"image": "x.png"}}}',
         "created_at": "2025-12-10T11:00:00+01:00", "updated_at": "2025-12-10T11:00:00+01:00"},
    ],
    "comfyui_sessions": [
        {"id": S_1, "profile_id": PROFILE, "title": "Session 12/12/2025",
         "created_at": "2025-12-12 15:00:00", "updated_at": "2025-12-12 15:31:00"},
        {"id": S_2, "profile_id": None, "title": "Empty one",
         "created_at": "2025-12-13T08:00:00.000000Z", "updated_at": "2025-12-13T08:00:00.000000Z"},
    ],
    "comfyui_generations": [
        {"id": "66666666-6666-4666-8666-000000000001", "workflow_id": WF_A, "session_id": S_1,
         "prompt_id": "abc123-comfyui-prompt-id", "prompt_text": "a majestic mountain", "status": "completed",
         "outputs": '["ComfyUI_00042_.png", "ComfyUI_00043_.png"]', "error": None,
         "created_at": "2025-12-12 15:30:00", "completed_at": "2025-12-12 15:30:14.230"},
        {"id": "66666666-6666-4666-8666-000000000002", "workflow_id": WF_A, "session_id": S_1,
         "prompt_id": "def456", "prompt_text": "dark ambient waves", "status": "failed", "outputs": "[]",
         "error": "CUDA out of memory", "created_at": "2025-12-12 15:31:00", "completed_at": "2025-12-12 15:31:02"},
        {"id": "66666666-6666-4666-8666-000000000003", "workflow_id": None, "session_id": S_1,
         "prompt_id": "ghi789", "prompt_text": "a red fox", "status": "running", "outputs": None, "error": None,
         "created_at": "2025-12-12 15:32:00", "completed_at": None},
        {"id": "66666666-6666-4666-8666-000000000004", "workflow_id": WF_B, "session_id": S_1,
         "prompt_id": None, "prompt_text": None, "status": "pending", "outputs": None, "error": None,
         "created_at": "2025-12-12 15:32:00", "completed_at": None},
    ],
}  # fmt: skip

TIMESTAMP_COLUMNS = {"created_at", "updated_at", "completed_at"}


def _build_legacy_database(path: Path) -> None:
    legacy = TrackedSqliteDatabase(str(path), pragmas=(("foreign_keys", 1),))
    assert run_migrations(legacy, target="0001_initial") == ["0001_initial"]
    for table, rows in LEGACY_ROWS.items():
        for row in rows:
            cols = ", ".join(row)
            legacy.execute_sql(f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values()))
    assert set(table_info(legacy, "comfyui_generations")) == {
        "id", "workflow_id", "session_id", "prompt_id", "prompt_text", "status", "outputs", "error",
        "created_at", "completed_at",
    }  # fmt: skip
    legacy.close_all()


def _instant(text: str) -> datetime:
    parsed = datetime.fromisoformat(text)
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed


def test_upgrade_keeps_every_old_row_and_fills_the_defaults(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    _build_legacy_database(db_path)

    conn = db.open_database(db_path)
    assert applied_migrations(conn) == list(MIGRATION_NAMES)
    assert conn.execute_sql("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute_sql("PRAGMA foreign_key_check").fetchall() == []
    for table, rows in LEGACY_ROWS.items():
        stored = {row["id"]: row for row in _select_all(conn, table)}
        assert len(stored) == len(rows) + (table == "profiles")  # + the default profile
        for old in rows:
            new = stored[old["id"]]
            for col, value in old.items():
                if col in TIMESTAMP_COLUMNS and value is not None:
                    assert _instant(new[col]) == _instant(value), (table, col)
                    assert new[col].endswith("Z") and len(new[col]) == 27  # canonical, sortable form
                else:
                    assert new[col] == value, (table, col)

    gens = {row["id"]: row for row in _select_all(conn, "comfyui_generations")}
    for row in gens.values():
        assert (row["parameters"], row["loras_used"], row["output_files"]) == ("{}", "[]", "[]")
        assert (row["batch_size"], row["batch_index"]) == (1, 0)
        assert row["workflow_json_snapshot"] is None and row["seed"] is None and row["error_details"] is None
        assert row["updated_at"] == (row["completed_at"] or row["created_at"])
    for row in _select_all(conn, "comfyui_workflows"):
        assert (row["default_parameters"], row["extracted_parameters"], row["is_default"]) == ("{}", "[]", 0)
        assert (row["source_format"], row["workflow_ui_json"], row["thumbnail_url"]) == ("api", None, None)
    counts = {row["id"]: row["generation_count"] for row in _select_all(conn, "comfyui_workflows")}
    assert counts == {WF_A: 2, WF_B: 1}
    sessions = {row["id"]: row for row in _select_all(conn, "comfyui_sessions")}
    assert (sessions[S_1]["last_parameters"], sessions[S_1]["draft"], sessions[S_1]["current_workflow_id"]) == (
        "{}", "{}", None,
    )  # fmt: skip
    counters = ("generation_count", "completed_count", "failed_count")
    assert tuple(sessions[S_1][c] for c in counters) == (4, 1, 1)
    assert tuple(sessions[S_2][c] for c in counters) == (0, 0, 0)

    # The old rows read through the query layer too.
    detail = db.get_session(S_1)
    assert detail.total_generations == 4
    # Newest first; the two rows of 15:32:00 are ordered by id.
    assert [g.id[-1] for g in detail.generations] == ["4", "3", "2", "1"]
    by_id = {g.id: g for g in detail.generations}
    done = by_id["66666666-6666-4666-8666-000000000001"]
    assert done.outputs == ["ComfyUI_00042_.png", "ComfyUI_00043_.png"]
    assert done.completed_at == datetime(2025, 12, 12, 15, 30, 14, 230000, tzinfo=timezone.utc)
    assert by_id["66666666-6666-4666-8666-000000000003"].outputs == []
    assert by_id["66666666-6666-4666-8666-000000000002"].error == "CUDA out of memory"
    assert {g.status for g in detail.generations} == {"pending", "running", "completed", "failed"}
    with pytest.raises(NotFoundError, match="no workflow snapshot"):
        db.get_generation_workflow(done.id)
    assert db.get_workflow(WF_B).created_at == datetime(2025, 12, 10, 10, 0, tzinfo=timezone.utc)
    assert [u.id for u in db.list_unfinished_generations()] == [
        "66666666-6666-4666-8666-000000000003", "66666666-6666-4666-8666-000000000004",
    ]  # fmt: skip

    # And the upgraded database takes new work on top of the old counters.
    assert db.complete_generation(
        "66666666-6666-4666-8666-000000000003", outputs=["fox.png"], output_files=[], generation_time_seconds=3.0
    )
    new = db.create_generation(session_id=S_1, prompt_text="x", parameters={"seed": 1}, workflow_json_snapshot="{}")
    assert db.get_generation(new.id).status == "pending"
    after = db.get_session(S_1, limit=1)
    assert (after.generation_count, after.completed_count, after.failed_count) == (5, 2, 1)
    assert after.generations[0].id == new.id
    db.close_database()


def _select_all(conn: pw.SqliteDatabase, table: str) -> list[dict[str, Any]]:
    cursor = conn.execute_sql(f'SELECT * FROM "{table}"')
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def test_legacy_database_without_migration_table_is_adopted(db_path: Path) -> None:
    """A file made by the earlier application has the §2.2 tables but no schema_migrations."""
    db_path.parent.mkdir(parents=True)
    _build_legacy_database(db_path)
    raw = TrackedSqliteDatabase(str(db_path))
    raw.execute_sql("DROP TABLE schema_migrations")
    raw.close_all()
    db.open_database(db_path)
    assert json.loads(db.get_session(S_1).model_dump_json())["total_generations"] == 4
    db.close_database()


def test_the_migration_list_names_each_module_and_loads_them_only_to_run_them(tmp_path: Path) -> None:
    from sftui.db.migrations import MIGRATIONS

    assert tuple(module.NAME for module in MIGRATIONS) == MIGRATION_NAMES
    path = tmp_path / "current.db"
    run_migrations(pw.SqliteDatabase(str(path)))  # an up-to-date file
    script = (
        "import sys, peewee; from sftui.db.migrations import run_migrations; "
        f"print(run_migrations(peewee.SqliteDatabase({str(path)!r})), sorted(m for m in sys.modules if '.m000' in m or m.startswith('playhouse')))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] []"
