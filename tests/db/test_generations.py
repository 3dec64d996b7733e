"""Generations: creation, counters, guarded status changes, seeds, validation."""

from __future__ import annotations

import json
from collections.abc import Callable

import peewee as pw
import pytest

from sftui import db
from sftui.db.models import GenerationRow
from sftui.errors import NotFoundError, UsageError
from tests.db.helpers import API_WORKFLOW, PARAMETERS, FrozenClock, sql_trace

OUTPUT_FILE = {"node_id": "9", "filename": "ComfyUI_00001_.png", "subfolder": "", "type": "output",
               "path": "outputs/s/g/ComfyUI_00001_.png"}  # fmt: skip


def counters(session_id: str) -> tuple[int, int, int]:
    s = db.get_session(session_id, limit=1)
    assert s.total_generations == s.generation_count
    return s.generation_count, s.completed_count, s.failed_count


def test_create_stores_parameters_denormalised_and_counts(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    wf = db.create_workflow(name="SDXL", workflow_json=API_WORKFLOW)
    other = db.create_workflow(name="other", workflow_json=API_WORKFLOW)
    session = db.create_session("s", workflow_id=other.id)
    clock.advance(seconds=5)
    gen = make_generation(session.id, workflow_id=wf.id, negative_prompt="blurry", batch_index=1,
                          server_url="http://127.0.0.1:8188", client_id="c1",
                          workflow_ui_snapshot='{"nodes": [], "links": []}')  # fmt: skip
    assert gen.status == "pending" and gen.prompt_id is None and gen.outputs == [] and gen.output_files == []
    assert (gen.width, gen.height, gen.steps, gen.cfg_scale, gen.seed) == (1024, 768, 30, 7.5, 847293847)
    assert (gen.sampler_name, gen.scheduler, gen.batch_size) == ("euler_ancestral", "karras", 2)
    assert gen.checkpoint_name == "sd_xl_base_1.0.safetensors"
    assert [lora.model_dump() for lora in gen.loras_used] == PARAMETERS["loras"]
    assert gen.parameters.model_dump(mode="json") == PARAMETERS
    assert (gen.batch_index, gen.server_url, gen.client_id, gen.negative_prompt) == (1, "http://127.0.0.1:8188", "c1", "blurry")
    assert gen.created_at == gen.updated_at == clock.now

    s = db.get_session(session.id)
    assert (s.generation_count, s.completed_count, s.failed_count) == (1, 0, 0)
    assert s.last_parameters.model_dump(mode="json") == PARAMETERS
    assert s.current_workflow_id == wf.id and s.workflow_name == "SDXL"
    assert s.updated_at == clock.now > s.created_at
    assert db.get_workflow(wf.id).generation_count == 1
    assert db.get_workflow(other.id).generation_count == 0


def test_minimal_parameters_get_the_design_defaults(database: pw.SqliteDatabase,
                                                    make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    session = db.create_session("s")
    gen = make_generation(session.id, parameters={})
    assert (gen.batch_size, gen.batch_index, gen.loras_used, gen.seed, gen.width) == (1, 0, [], None, None)
    assert gen.workflow_id is None
    assert db.get_session(session.id).current_workflow_id is None
    explicit_none = make_generation(session.id, parameters={"loras": None, "checkpoint_name": None, "seed": 7})
    assert (explicit_none.loras_used, explicit_none.checkpoint_name, explicit_none.seed) == ([], None, 7)
    assert explicit_none.parameters.model_dump(mode="json") == {"loras": None, "checkpoint_name": None, "seed": 7}


def test_complete_fail_and_double_finish(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    session = db.create_session("s")
    a, b, c = (make_generation(session.id) for _ in range(3))
    assert counters(session.id) == (3, 0, 0)

    assert db.mark_generation_submitted(a.id, prompt_id="p-a")
    clock.advance(seconds=1)
    assert db.mark_generation_running(a.id)
    assert not db.mark_generation_running(a.id)  # already running
    clock.advance(seconds=2)
    assert db.complete_generation(a.id, outputs=["ComfyUI_00001_.png"], output_files=[OUTPUT_FILE],
                                  generation_time_seconds=14.23)  # fmt: skip
    assert counters(session.id) == (3, 1, 0)
    done = db.get_generation(a.id)
    assert (done.status, done.prompt_id, done.outputs) == ("completed", "p-a", ["ComfyUI_00001_.png"])
    assert [f.model_dump() for f in done.output_files] == [OUTPUT_FILE]
    assert done.generation_time_seconds == 14.23
    assert done.completed_at == done.updated_at == clock.now
    assert (done.completed_at - done.started_at).total_seconds() == 2

    # A finished generation is never finished again, nor counted twice.
    assert not db.complete_generation(a.id, outputs=["other.png"], output_files=[], generation_time_seconds=1.0)
    assert not db.fail_generation(a.id, error="late error")
    assert not db.mark_generation_submitted(a.id, prompt_id="p-late")
    assert db.get_generation(a.id).model_dump() == done.model_dump()
    assert counters(session.id) == (3, 1, 0)

    details = {"node_id": "3", "node_type": "KSampler", "exception_type": "RuntimeError",
               "exception_message": "CUDA out of memory", "traceback": ["line 1\n", "line 2\n"]}  # fmt: skip
    assert db.fail_generation(b.id, error="RuntimeError: CUDA out of memory (node 3 KSampler)", error_details=details)
    assert not db.fail_generation(b.id, error="twice")
    assert not db.complete_generation(b.id, outputs=[], output_files=[], generation_time_seconds=None)
    failed = db.get_generation(b.id)
    assert failed.status == "failed" and failed.error.startswith("RuntimeError")
    assert failed.error_details is not None and failed.error_details.model_dump(mode="json") == details
    assert counters(session.id) == (3, 1, 1)

    assert db.fail_generation(c.id, error="lost", error_details={"reason": "lost", "retryable": True})
    assert db.get_generation(c.id).error_details.model_dump(mode="json") == {"reason": "lost", "retryable": True}
    assert counters(session.id) == (3, 1, 2)


def test_requeue_turns_a_failure_back_into_pending(database: pw.SqliteDatabase,
                                                   make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    session = db.create_session("s")
    gen = make_generation(session.id)
    assert db.requeue_generation(gen.id) is None  # pending: nothing to retry
    db.mark_generation_submitted(gen.id, prompt_id="p1")
    db.mark_generation_running(gen.id)
    db.fail_generation(gen.id, error="boom", error_details={"exception_message": "boom"})
    assert counters(session.id) == (1, 0, 1)

    again = db.requeue_generation(gen.id)
    assert again is not None and again.status == "pending"
    assert (again.prompt_id, again.error, again.error_details, again.started_at, again.completed_at) == (None,) * 5
    assert again.parameters == gen.parameters and again.workflow_json_snapshot == gen.workflow_json_snapshot
    assert counters(session.id) == (1, 0, 0)
    assert db.requeue_generation(gen.id) is None
    assert db.complete_generation(gen.id, outputs=["x.png"], output_files=[], generation_time_seconds=2.0)
    assert db.requeue_generation(gen.id) is None  # completed work is not retried
    assert counters(session.id) == (1, 1, 0)


def test_unfinished_generations_oldest_first(
    database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation], clock: FrozenClock
) -> None:
    s1, s2 = db.create_session("one"), db.create_session("two")
    made = []
    for session in (s1, s2, s1, s2):
        clock.advance(seconds=1)
        made.append(make_generation(session.id))
    db.mark_generation_running(made[2].id)
    db.complete_generation(made[1].id, outputs=[], output_files=[], generation_time_seconds=None)
    assert [g.id for g in db.list_unfinished_generations()] == [made[0].id, made[2].id, made[3].id]


def test_generation_workflow_for_reproduction(database: pw.SqliteDatabase,
                                              make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    session = db.create_session("s")
    gen = make_generation(session.id)
    assert db.get_generation_workflow(gen.id) == {"workflow_json": json.loads(API_WORKFLOW), "parameters": PARAMETERS}


@pytest.mark.parametrize("seed", [0, 2**63 - 1, 2**63, 2**64 - 1])
def test_seed_round_trips_and_lookups(database: pw.SqliteDatabase,
                                      make_generation: Callable[..., db.Generation], seed: int) -> None:  # fmt: skip
    session = db.create_session("s")
    decoys = [make_generation(session.id, parameters={"seed": s}) for s in (1, 2**63 - 2, 2**64 - 2)]
    gen = make_generation(session.id, parameters={**PARAMETERS, "seed": seed})
    assert db.get_generation(gen.id).seed == seed
    assert db.get_generation(gen.id).parameters.seed == seed
    assert db.get_generation_workflow(gen.id)["parameters"]["seed"] == seed
    stored = database.execute_sql("SELECT seed FROM comfyui_generations WHERE id = ?", (gen.id,)).fetchone()[0]
    assert -(2**63) <= stored < 2**63
    query = GenerationRow.select(GenerationRow.id).where(GenerationRow.seed == seed)
    assert [row.id for row in query] == [gen.id]
    sql, params = query.sql()
    plan = " ".join(row[3] for row in database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall())
    assert "comfyui_generations_seed" in plan
    assert len(decoys) == 3


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5, "12"])
def test_out_of_range_seeds_are_refused(database: pw.SqliteDatabase,
                                        make_generation: Callable[..., db.Generation], seed: object) -> None:  # fmt: skip
    session = db.create_session("s")
    with pytest.raises(UsageError, match="seed"):
        make_generation(session.id, parameters={"seed": seed})
    assert counters(session.id) == (0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"parameters": ["width", 512]}, "parameters: expected an object"),
        ({"parameters": "{}"}, "parameters: expected an object"),
        ({"parameters": {"width": "wide"}}, "parameters.width"),
        ({"parameters": {"cfg_scale": float("nan")}}, "parameters.cfg_scale: not storable as JSON (nan)"),
        ({"parameters": {"3.denoise": float("inf")}}, "parameters.3.denoise: not storable as JSON (inf)"),
        ({"parameters": {"3.thing": [1, {2, 3}]}}, "parameters.3.thing.1: not storable as JSON ({2, 3})"),
        ({"parameters": {"width": True}}, "parameters.width"),
        ({"parameters": {"loras": [{"strength_model": 1}]}}, "parameters.loras.0.name"),
        ({"workflow_json_snapshot": "{not json"}, "workflow_json_snapshot: invalid JSON"),
        ({"workflow_json_snapshot": "[1, 2]"}, "workflow_json_snapshot: expected a JSON object"),
        ({"workflow_ui_snapshot": "nope"}, "workflow_ui_snapshot: invalid JSON"),
        ({"batch_index": -1}, "batch_index"),
    ],
)
def test_invalid_input_stores_nothing(database: pw.SqliteDatabase, make_generation: Callable[..., db.Generation],
                                      overrides: dict, message: str) -> None:  # fmt: skip
    session = db.create_session("s")
    with pytest.raises(UsageError) as info:
        make_generation(session.id, **overrides)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
    assert database.execute_sql("SELECT COUNT(*) FROM comfyui_generations").fetchone()[0] == 0
    assert counters(session.id) == (0, 0, 0)
    assert db.get_session(session.id).last_parameters.model_dump() == {}


def test_invalid_outputs_and_errors_are_refused(database: pw.SqliteDatabase,
                                                make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    gen = make_generation(db.create_session("s").id)
    with pytest.raises(UsageError, match="output_files.0.filename"):
        db.complete_generation(gen.id, outputs=[], output_files=[{"node_id": "9"}], generation_time_seconds=1.0)
    with pytest.raises(UsageError, match="generation_time_seconds"):
        db.complete_generation(gen.id, outputs=[], output_files=[], generation_time_seconds=float("nan"))
    with pytest.raises(UsageError, match="error_details"):
        db.fail_generation(gen.id, error="x", error_details="not a dict")  # type: ignore[arg-type]
    with pytest.raises(UsageError, match="error: must not be empty"):
        db.fail_generation(gen.id, error=" ")
    assert db.get_generation(gen.id).status == "pending"


def test_not_found_names_the_id(database: pw.SqliteDatabase) -> None:
    missing = "00000000-dead-4000-8000-000000000000"
    calls = [
        lambda: db.get_generation(missing),
        lambda: db.get_generation_workflow(missing),
        lambda: db.mark_generation_submitted(missing, prompt_id="p"),
        lambda: db.mark_generation_running(missing),
        lambda: db.complete_generation(missing, outputs=[], output_files=[], generation_time_seconds=None),
        lambda: db.fail_generation(missing, error="x"),
        lambda: db.requeue_generation(missing),
    ]
    for call in calls:
        with pytest.raises(NotFoundError, match=f"generation '{missing}' not found"):
            call()
    with pytest.raises(NotFoundError, match=f"session '{missing}' not found"):
        db.create_generation(session_id=missing, prompt_text="x", parameters={}, workflow_json_snapshot="{}")
    session = db.create_session("s")
    with pytest.raises(NotFoundError, match=f"workflow '{missing}' not found"):
        db.create_generation(session_id=session.id, prompt_text="x", parameters={}, workflow_json_snapshot="{}",
                             workflow_id=missing)  # fmt: skip
    assert counters(session.id) == (0, 0, 0)


def test_status_changes_are_single_guarded_statements(database: pw.SqliteDatabase,
                                                       make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    gen = make_generation(db.create_session("s").id)
    statements = sql_trace(database)
    db.complete_generation(gen.id, outputs=[], output_files=[], generation_time_seconds=1.0)
    assert statements[0] == "BEGIN IMMEDIATE"
    update = next(s for s in statements if s.startswith('UPDATE "comfyui_generations"'))
    assert "\"status\" IN ('pending', 'running')" in update
    assert statements[-1] == "COMMIT"
