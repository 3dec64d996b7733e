"""Sessions: listing in one query, cursor paging, updates, cascade delete."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import peewee as pw
import pytest

from sftui import db
from sftui.errors import ConflictError, NotFoundError, UsageError
from tests.db.helpers import API_WORKFLOW, FrozenClock, sql_trace


def all_pages(session_id: str, limit: int) -> list[db.Generation]:
    seen: list[db.Generation] = []
    cursor = None
    for _ in range(1000):  # bounded: a cursor that never ends is a failure, not a hang
        page = db.get_session(session_id, limit=limit, before=cursor)
        assert len(page.generations) <= limit
        seen.extend(page.generations)
        cursor = page.next_cursor
        if cursor is None:
            return seen
        assert len(page.generations) == limit
    raise AssertionError("paging did not end")


def test_paging_250_generations_with_identical_timestamps(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    session, other = db.create_session("paged"), db.create_session("other")
    made: list[db.Generation] = []
    for i in range(250):
        # Runs of 40 share one instant (a batch lands in the same microsecond); the rest tick.
        if i % 50 >= 40:
            clock.advance(microseconds=1)
        elif i % 50 == 0:
            clock.advance(seconds=1)
        made.append(make_generation(session.id, batch_index=i))
        if i % 25 == 0:
            make_generation(other.id)
    assert len({g.created_at for g in made}) < 60  # many identical created_at values
    expected = [g.id for g in sorted(made, key=lambda g: (g.created_at, g.id), reverse=True)]

    for limit in (1, 7, 40, 50, 249, 250, 251):
        got = [g.id for g in all_pages(session.id, limit)]
        assert got == expected, limit  # newest first, no duplicate, no gap
    first = db.get_session(session.id, limit=50)
    assert first.total_generations == 250 and first.generation_count == 250
    assert all(g.session_id == session.id for g in first.generations)


def test_new_rows_do_not_shift_older_pages(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    session = db.create_session("s")
    old = [make_generation(session.id) for _ in range(10)]
    page1 = db.get_session(session.id, limit=4)
    clock.advance(seconds=1)
    newer = [make_generation(session.id) for _ in range(5)]
    rest = []
    cursor = page1.next_cursor
    while cursor is not None:
        page = db.get_session(session.id, limit=4, before=cursor)
        rest.extend(page.generations)
        cursor = page.next_cursor
    ids = [g.id for g in page1.generations + rest]
    assert sorted(ids) == sorted(g.id for g in old)
    assert not {g.id for g in newer} & set(ids)


def test_paging_query_uses_the_index(database: pw.SqliteDatabase,
                                     make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    session = db.create_session("s")
    for _ in range(30):
        make_generation(session.id)
    statements = sql_trace(database)
    cursor = db.get_session(session.id, limit=10).next_cursor
    db.get_session(session.id, limit=10, before=cursor)
    pages = [s for s in statements if s.startswith("SELECT") and 'FROM "comfyui_generations"' in s]
    assert len(pages) == 2 and '("t1"."created_at", "t1"."id") < (' in pages[1]
    for sql in pages:
        assert "OFFSET" not in sql.upper()
        plan = " | ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "USING INDEX comfyui_generations_session_id_created_at_id" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan


def test_forward_paging_from_the_oldest_is_one_indexed_query_per_page(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    session, other = db.create_session("s"), db.create_session("other")
    made = []
    for i in range(23):
        if i % 5 == 0:
            clock.advance(seconds=1)  # runs share an instant: the id breaks the tie
        made.append(make_generation(session.id))
        make_generation(other.id)
    expected = [g.id for g in sorted(made, key=lambda g: (g.created_at, g.id))]
    statements = sql_trace(database)
    first = db.get_session_from_oldest(session.id, limit=10)
    assert [g.id for g in first.generations] == expected[:10]  # oldest first
    got, cursor = [g.id for g in first.generations], first.next_cursor
    for _ in range(10):
        if cursor is None:
            break
        page = db.get_session_from_oldest(session.id, limit=10, after=cursor)
        got.extend(g.id for g in page.generations)
        cursor = page.next_cursor
    assert got == expected and cursor is None
    # The newest-first pages and the forward pages meet without gap or overlap.
    newest = db.get_session(session.id, limit=13)
    assert [g.id for g in reversed(newest.generations)] == expected[10:]
    pages = [s for s in statements if s.startswith("SELECT") and 'FROM "comfyui_generations"' in s]
    assert len(pages) == 4  # three forward pages (10, 10, 3) and the newest page: one query each
    for sql in pages:
        assert "OFFSET" not in sql.upper()
        plan = " | ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql).fetchall())
        assert "USING INDEX comfyui_generations_session_id_created_at_id" in plan, plan
        assert "TEMP B-TREE" not in plan and "SCAN" not in plan, plan
    with pytest.raises(NotFoundError):
        db.get_session_from_oldest("nope", limit=5)
    with pytest.raises(UsageError):
        db.get_session_from_oldest(session.id, limit=0)


def test_list_sessions_is_one_query_newest_activity_first(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    wf = db.create_workflow(name="SDXL Standard", workflow_json=API_WORKFLOW)
    a = db.create_session("a", workflow_id=wf.id)
    clock.advance(seconds=1)
    b = db.create_session("b")
    clock.advance(seconds=1)
    for _ in range(3):
        make_generation(a.id)  # activity moves a to the top
    db.fail_generation(make_generation(a.id).id, error="x")
    statements = sql_trace(database)
    listed = db.list_sessions()
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 1 and "COUNT(" not in selects[0].upper()
    assert [s.id for s in listed] == [a.id, b.id]
    assert (listed[0].workflow_name, listed[0].generation_count, listed[0].failed_count) == ("SDXL Standard", 4, 1)
    assert listed[1].workflow_name is None
    assert db.list_sessions(profile_id=db.DEFAULT_PROFILE_ID) == listed
    assert db.list_sessions(profile_id="someone-else") == []
    dumped = listed[0].model_dump(mode="json")
    assert dumped["updated_at"].endswith("Z") and dumped["last_parameters"]["seed"] == 847293847


def test_session_pages_seek_by_recency_and_cover_every_session_once(database: pw.SqliteDatabase, clock: FrozenClock) -> None:
    made = []
    for i in range(23):
        if i % 4 == 0:  # runs of four share one instant: the id breaks the tie
            clock.advance(seconds=1)
        made.append(db.create_session(f"s{i}"))
    whole = db.list_sessions()
    seen: list[db.Session] = []
    after = None
    for _ in range(20):  # bounded: paging that never ends is a failure, not a hang
        page = db.list_sessions(limit=5, after=after)
        seen += page
        if len(page) < 5:
            break
        after = (page[-1].updated_at, page[-1].id)
    assert [s.id for s in seen] == [s.id for s in whole] and len(whole) == 23
    assert db.count_sessions() == 23 and db.count_sessions(profile_id="someone-else") == 0
    statements = sql_trace(database)
    db.list_sessions(limit=5, after=after)
    (select,) = [s for s in statements if s.startswith("SELECT")]
    assert "COUNT(" not in select.upper() and "LIMIT" in select.upper()
    with pytest.raises(UsageError, match="limit must be at least 1"):
        db.list_sessions(limit=0)


def test_search_sessions_matches_characters_in_order_like_the_palette(database: pw.SqliteDatabase, clock: FrozenClock) -> None:
    portraits = db.create_session("Portraits of Ada")
    clock.advance(seconds=1)
    db.create_session("Landscapes")
    clock.advance(seconds=1)
    odd = db.create_session("100% cotton_shirts")
    clock.advance(seconds=1)
    newer = db.create_session("Ports at night")
    assert [s.id for s in db.search_sessions("PORTS")] == [newer.id, portraits.id]  # in order, any case, newest first
    assert [s.id for s in db.search_sessions("p ada")] == [portraits.id]  # spaces are not characters to match
    assert [s.id for s in db.search_sessions("%")] == [odd.id]  # LIKE's wildcards match themselves
    assert [s.id for s in db.search_sessions("n_s")] == [odd.id]
    assert db.search_sessions("zzz") == []
    assert [s.id for s in db.search_sessions("", limit=2)] == [newer.id, odd.id]


def test_create_update_and_find(database: pw.SqliteDatabase, clock: FrozenClock) -> None:
    wf = db.create_workflow(name="w", workflow_json=API_WORKFLOW)
    untitled = db.create_session()
    assert re.fullmatch(r"Session \d{4}-\d\d-\d\d \d\d:\d\d", untitled.title)
    s = db.create_session("  My Generation Session ", workflow_id=wf.id)
    assert (s.title, s.current_workflow_id, s.workflow_name, s.draft) == ("My Generation Session", wf.id, "w", {})

    clock.advance(seconds=1)
    drafted = db.update_session(s.id, draft={"prompt": "a fox", "negative": "blurry"})
    assert drafted.draft == {"prompt": "a fox", "negative": "blurry"}
    assert drafted.updated_at == s.updated_at  # typing a draft is not activity
    assert (drafted.title, drafted.current_workflow_id) == (s.title, wf.id)

    renamed = db.update_session(s.id, title="Renamed")
    assert (renamed.title, renamed.draft, renamed.current_workflow_id) == ("Renamed", drafted.draft, wf.id)
    assert renamed.updated_at == clock.now
    cleared = db.update_session(s.id, current_workflow_id=None, last_parameters={"steps": 25, "seed": -1})
    assert (cleared.current_workflow_id, cleared.workflow_name, cleared.title) == (None, None, "Renamed")
    assert cleared.last_parameters.model_dump() == {"steps": 25, "seed": -1}
    assert db.update_session(s.id) == cleared

    assert db.find_session(s.id) == cleared
    assert db.find_session("Renamed") == cleared
    db.create_session("Renamed")
    with pytest.raises(ConflictError, match="2 sessions are titled 'Renamed'"):
        db.find_session("Renamed")
    with pytest.raises(NotFoundError, match="'nope'"):
        db.find_session("nope")


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"title": "   "}, "session title: must not be empty"),
        ({"title": ""}, "session title: must not be empty"),
        ({"draft": ["x"]}, "draft: expected an object"),
        ({"draft": {"when": object()}}, "draft.when: not storable as JSON"),
        ({"last_parameters": {"steps": "many"}}, "last_parameters.steps"),
        ({"current_workflow_id": "missing-wf"}, "workflow 'missing-wf' not found"),
    ],
)
def test_update_session_refuses_bad_values(database: pw.SqliteDatabase, patch: dict, message: str) -> None:
    s = db.create_session("kept")
    with pytest.raises((UsageError, NotFoundError)) as info:
        db.update_session(s.id, **patch)
    assert message in str(info.value)
    assert db.find_session(s.id) == s


def test_session_not_found_and_bad_paging_arguments(database: pw.SqliteDatabase, tmp_path: Path) -> None:
    missing = "00000000-dead-4000-8000-000000000000"
    for call in (
        lambda: db.get_session(missing),
        lambda: db.get_session_summary(missing),
        lambda: db.update_session(missing, title="x"),
        lambda: db.delete_session(missing, data_dir=tmp_path),
    ):
        with pytest.raises(NotFoundError, match=f"session '{missing}' not found"):
            call()
    with pytest.raises(NotFoundError, match="workflow 'nope' not found"):
        db.create_session("x", workflow_id="nope")
    s = db.create_session("s")
    for bad in (0, -1, 1001, True, "10"):
        with pytest.raises(UsageError, match="limit"):
            db.get_session(s.id, limit=bad)  # type: ignore[arg-type]
    for cursor in ("garbage!", "", "bm90IGpzb24", "WyJ4IiwieSJd"):  # the last two: not JSON, bad timestamp
        with pytest.raises(UsageError, match="invalid page cursor"):
            db.get_session(s.id, before=cursor)


def test_delete_cascades_rows_and_outputs_folder(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], tmp_path: Path
) -> None:
    data_dir = tmp_path / "data"
    doomed, kept = db.create_session("doomed"), db.create_session("kept")
    gens = [make_generation(doomed.id) for _ in range(3)]
    db.complete_generation(gens[0].id, outputs=["a.png"], output_files=[], generation_time_seconds=1.0)
    kept_gen = make_generation(kept.id)
    for session, name in ((doomed, "a.png"), (kept, "b.png")):
        folder = data_dir / "outputs" / session.id / "gen"
        folder.mkdir(parents=True)
        (folder / name).write_bytes(b"\x89PNG")

    assert db.delete_session(doomed.id, data_dir=data_dir) == 3
    count = "SELECT COUNT(*) FROM comfyui_generations WHERE session_id = ?"
    assert database.execute_sql(count, (doomed.id,)).fetchone()[0] == 0
    assert not (data_dir / "outputs" / doomed.id).exists()
    assert (data_dir / "outputs" / kept.id / "gen" / "b.png").exists()
    assert db.get_generation(kept_gen.id).session_id == kept.id
    assert [s.id for s in db.list_sessions()] == [kept.id]
    with pytest.raises(NotFoundError):
        db.get_generation(gens[1].id)
    # A session that never produced files deletes without complaint.
    empty = db.create_session("empty")
    assert db.delete_session(empty.id, data_dir=data_dir) == 0


def test_deleting_a_big_session_reports_its_files_as_they_go(database: pw.SqliteDatabase, tmp_path: Path) -> None:
    from sftui.db.sessions import PROGRESS_STEPS

    data_dir = tmp_path
    big = db.create_session("big")
    folders = 3 * PROGRESS_STEPS + 7
    for index in range(folders):
        folder = data_dir / "outputs" / big.id / f"gen-{index}"
        folder.mkdir(parents=True)
        (folder / "a.png").write_bytes(b"\x89PNG")
    (data_dir / "outputs" / big.id / "stray.txt").write_text("a file beside the folders")
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        if not calls:  # the first call comes once the rows are gone
            assert db.count_sessions() == 0
        calls.append((done, total))

    assert db.delete_session(big.id, data_dir=data_dir, progress=progress) == 0
    assert calls[0] == (0, folders + 1) and calls[-1] == (folders + 1, folders + 1)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(calls) <= PROGRESS_STEPS + 2  # told in steps, not once per file
    assert not (data_dir / "outputs" / big.id).exists()

    calls.clear()
    nothing = db.create_session("no files")
    db.delete_session(nothing.id, data_dir=data_dir, progress=progress)
    assert calls == [(0, 0)]


def test_generate_without_a_session_goes_to_the_most_recent_one_read_alone(database: pw.SqliteDatabase, clock: FrozenClock) -> None:
    from sftui.generation.rows import session_for

    db.create_session("old")
    clock.advance(seconds=1)
    recent = db.create_session("recent")
    statements = sql_trace(database)
    assert session_for(None).id == recent.id
    selects = [s for s in statements if s.startswith("SELECT")]
    assert len(selects) == 1 and "LIMIT 1" in selects[0].upper()  # not every session, to pick one
    assert session_for("brand new").title == "brand new" and db.count_sessions() == 3
