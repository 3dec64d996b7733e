"""Several threads and processes on one database file: no "database is locked", no lost row."""

from __future__ import annotations

import multiprocessing
import sqlite3
import threading
import time
from pathlib import Path

import peewee as pw

from sftui import db
from sftui.db.migrations import MIGRATION_NAMES, applied_migrations
from tests.db import _workers

PER_WRITER = 100


def assert_all_written(session_id: str, tags: tuple[str, ...]) -> None:
    detail = db.get_session(session_id, limit=1000)
    prompts = sorted(g.prompt_text for g in detail.generations)
    assert prompts == sorted(f"{tag}-{i}" for tag in tags for i in range(PER_WRITER))
    total = PER_WRITER * len(tags)
    assert (detail.generation_count, detail.completed_count, detail.failed_count) == (total, total, 0)
    assert all(g.status == "completed" and g.outputs == [f"{g.prompt_text}.png"] for g in detail.generations)


def test_two_threads_write_200_generations(database: pw.SqliteDatabase, db_path: Path) -> None:
    session = db.create_session("threads")
    errors: list[BaseException] = []
    stop_reading = threading.Event()

    def writer(tag: str) -> None:
        try:
            _write_in_thread(session.id, tag)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    def reader() -> None:
        try:
            while not stop_reading.is_set():
                db.list_sessions()
                db.get_session(session.id, limit=20)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(tag,)) for tag in ("t1", "t2")]
    watcher = threading.Thread(target=reader)
    for thread in (*threads, watcher):
        thread.start()
    for thread in threads:
        thread.join(60)
    stop_reading.set()
    watcher.join(10)
    assert not any(t.is_alive() for t in (*threads, watcher))
    assert errors == []
    assert_all_written(session.id, ("t1", "t2"))


def _write_in_thread(session_id: str, tag: str) -> None:
    for i in range(PER_WRITER):
        gen = db.create_generation(session_id=session_id, prompt_text=f"{tag}-{i}", parameters={"seed": i},
                                   workflow_json_snapshot="{}")  # fmt: skip
        db.mark_generation_running(gen.id)
        db.complete_generation(gen.id, outputs=[f"{tag}-{i}.png"], output_files=[], generation_time_seconds=0.01)


def test_two_processes_write_200_generations(database: pw.SqliteDatabase, db_path: Path) -> None:
    session = db.create_session("processes")
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [
        ctx.Process(target=_workers.write_generations, args=(str(db_path), session.id, PER_WRITER, tag, barrier))
        for tag in ("p1", "p2")
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(90)
    for proc in procs:
        if proc.is_alive():
            proc.kill()
    assert [proc.exitcode for proc in procs] == [0, 0]
    assert_all_written(session.id, ("p1", "p2"))
    seeds = {g.seed for g in db.get_session(session.id, limit=1000).generations}
    assert seeds == {2**64 - 1 - i for i in range(PER_WRITER)}


def test_processes_opening_a_new_file_at_once_migrate_it_once(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "sftui.db"
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(3), ctx.Queue()
    procs = [ctx.Process(target=_workers.open_fresh, args=(str(path), barrier, results)) for _ in range(3)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [proc.exitcode for proc in procs] == [0, 0, 0]
    assert sorted(results.get(timeout=5) for _ in procs) == [0, 0, 0]
    conn = db.open_database(path)
    assert applied_migrations(conn) == list(MIGRATION_NAMES)
    assert conn.execute_sql("SELECT COUNT(*) FROM profiles").fetchone()[0] == 1
    db.close_database()


def test_a_held_write_lock_is_waited_for(database: pw.SqliteDatabase, db_path: Path) -> None:
    session = db.create_session("waits")
    other = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    other.execute("UPDATE comfyui_sessions SET title = 'held' WHERE id = ?", (session.id,))
    release = threading.Timer(0.5, lambda: other.execute("COMMIT"))
    release.start()
    started = time.monotonic()
    try:
        gen = db.create_generation(session_id=session.id, prompt_text="x", parameters={}, workflow_json_snapshot="{}")
    finally:
        release.join(5)
        other.close()
    assert time.monotonic() - started >= 0.4  # it really waited for the other writer
    assert db.get_generation(gen.id).status == "pending"
    assert db.get_session(session.id).title == "held"
