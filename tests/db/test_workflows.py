"""Saved workflows: create, list, find, the default flag, update, delete."""

from __future__ import annotations

from collections.abc import Callable

import peewee as pw
import pytest

from sftui import db
from sftui.db.models import ProfileRow
from sftui.errors import ConflictError, NotFoundError, UsageError
from tests.db.helpers import API_WORKFLOW, FrozenClock

EXTRACTED = [
    {"nodeId": "3", "field": "seed", "label": "Seed", "type": "seed", "value": 0, "min": 0, "max": 2**64 - 1,
     "standard": "seed"},
    {"nodeId": "5", "field": "width", "label": "Width", "type": "select", "value": 1024,
     "options": [512, 768, 1024], "group": "Latent"},
    {"nodeId": "7", "field": "text", "label": "Style", "type": "string", "value": "oil"},
]  # fmt: skip


def test_create_and_read_back_exactly(database: pw.SqliteDatabase, clock: FrozenClock) -> None:
    ui = '{"nodes": [], "links": [], "version": 0.4}'
    wf = db.create_workflow(
        name="SDXL Standard", workflow_json=API_WORKFLOW, description="Basic SDXL workflow", workflow_ui_json=ui,
        source_format="ui", default_parameters={"width": 1024, "height": 1024, "steps": 25, "3.denoise": 0.9},
        extracted_parameters=EXTRACTED,
    )  # fmt: skip
    assert db.get_workflow(wf.id) == wf
    dumped = wf.model_dump(mode="json")
    assert dumped["extracted_parameters"] == EXTRACTED  # unset optional keys stay absent, extras stay
    assert dumped["default_parameters"] == {"width": 1024, "height": 1024, "steps": 25, "3.denoise": 0.9}
    assert (dumped["workflow_json"], dumped["workflow_ui_json"], dumped["source_format"]) == (API_WORKFLOW, ui, "ui")
    assert (dumped["profile_id"], dumped["is_default"], dumped["generation_count"]) == (db.DEFAULT_PROFILE_ID, False, 0)
    assert dumped["created_at"] == "2026-01-02T03:04:05.678901Z" == dumped["updated_at"]

    (summary,) = db.list_workflows()
    assert set(summary.model_dump()) == {"id", "name", "description", "thumbnail_url", "is_default",
                                         "generation_count", "default_parameters", "created_at"}  # fmt: skip
    assert summary.model_dump(mode="json")["default_parameters"] == dumped["default_parameters"]


def test_default_flag_is_exclusive_per_profile(database: pw.SqliteDatabase) -> None:
    assert db.get_default_workflow() is None
    a = db.create_workflow(name="a", workflow_json=API_WORKFLOW, is_default=True)
    other_profile = ProfileRow.create(id="99999999-9999-4999-8999-999999999999", name="bob", created_at=a.created_at)
    theirs = db.create_workflow(name="theirs", workflow_json=API_WORKFLOW, is_default=True, profile_id=other_profile.id)
    b = db.create_workflow(name="b", workflow_json=API_WORKFLOW, is_default=True)

    def defaults() -> set[str]:
        return {w.name for w in db.list_workflows() if w.is_default}

    assert defaults() == {"b", "theirs"}
    assert db.get_default_workflow().id == b.id
    assert db.get_default_workflow(other_profile.id).id == theirs.id
    db.update_workflow(a.id, is_default=True)
    assert defaults() == {"a", "theirs"} and db.get_default_workflow().id == a.id
    db.update_workflow(a.id, is_default=False)
    assert defaults() == {"theirs"} and db.get_default_workflow() is None
    assert [w.name for w in db.list_workflows(profile_id=other_profile.id)] == ["theirs"]
    with pytest.raises(NotFoundError, match="profile 'ghost' not found"):
        db.create_workflow(name="x", workflow_json=API_WORKFLOW, profile_id="ghost")


def test_list_order_default_first_then_name(database: pw.SqliteDatabase) -> None:
    for name in ("beta", "Alpha", "gamma"):
        db.create_workflow(name=name, workflow_json=API_WORKFLOW, is_default=name == "gamma")
    assert [w.name for w in db.list_workflows()] == ["gamma", "Alpha", "beta"]


def test_find_by_id_or_exact_name(database: pw.SqliteDatabase) -> None:
    a = db.create_workflow(name="Upscale", workflow_json=API_WORKFLOW)
    assert db.find_workflow(a.id) == a
    assert db.find_workflow("Upscale") == a
    with pytest.raises(NotFoundError, match="workflow 'upscale' not found"):
        db.find_workflow("upscale")
    b = db.create_workflow(name="Upscale", workflow_json=API_WORKFLOW)
    with pytest.raises(ConflictError, match=f"2 workflows are named 'Upscale'; use an id: {a.id}, {b.id}"):
        db.find_workflow("Upscale")


def test_update_changes_only_the_patch(database: pw.SqliteDatabase, clock: FrozenClock) -> None:
    wf = db.create_workflow(name="w", workflow_json=API_WORKFLOW, default_parameters={"steps": 20},
                            extracted_parameters=EXTRACTED)  # fmt: skip
    clock.advance(minutes=1)
    new = db.update_workflow(wf.id, name="Updated Name", default_parameters={"steps": 30}, thumbnail_url="/t.png")
    assert (new.name, new.thumbnail_url, new.updated_at) == ("Updated Name", "/t.png", clock.now)
    assert new.default_parameters.model_dump() == {"steps": 30}
    assert (new.workflow_json, new.extracted_parameters, new.created_at) == (
        wf.workflow_json, wf.extracted_parameters, wf.created_at,
    )  # fmt: skip
    with pytest.raises(UsageError, match="no editable field 'generation_count'"):
        db.update_workflow(wf.id, generation_count=5)
    with pytest.raises(UsageError, match="workflow name: must not be empty"):
        db.update_workflow(wf.id, name=" ")
    with pytest.raises(UsageError, match="workflow_json: invalid JSON"):
        db.update_workflow(wf.id, workflow_json="{")
    with pytest.raises(UsageError, match="extracted_parameters.0.label"):
        db.update_workflow(wf.id, extracted_parameters=[{"nodeId": "3", "field": "seed", "type": "seed"}])
    with pytest.raises(UsageError, match="is_default"):
        db.update_workflow(wf.id, is_default="yes")
    assert db.get_workflow(wf.id) == new
    with pytest.raises(NotFoundError, match="workflow 'gone' not found"):
        db.update_workflow("gone", name="x")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"workflow_json": "not json"}, "workflow_json: invalid JSON"),
        ({"workflow_json": '"a string"'}, "workflow_json: expected a JSON object"),
        ({"workflow_ui_json": "[]"}, "workflow_ui_json: expected a JSON object"),
        ({"name": ""}, "workflow name: must not be empty"),
        ({"default_parameters": {"cfg_scale": float("nan")}}, "default_parameters.cfg_scale: not storable as JSON"),
        ({"default_parameters": {"seed": -2}}, "default_parameters.seed"),
    ],
)
def test_create_refuses_bad_input(database: pw.SqliteDatabase, kwargs: dict, message: str) -> None:
    args = {"name": "w", "workflow_json": API_WORKFLOW, **kwargs}
    with pytest.raises(UsageError) as info:
        db.create_workflow(**args)
    assert message in str(info.value)
    assert db.list_workflows() == []


def test_delete_keeps_sessions_and_generations(database: pw.SqliteDatabase,
                                               make_generation: Callable[..., db.Generation]) -> None:  # fmt: skip
    wf = db.create_workflow(name="w", workflow_json=API_WORKFLOW)
    session = db.create_session("s", workflow_id=wf.id)
    gen = make_generation(session.id, workflow_id=wf.id)
    db.delete_workflow(wf.id)
    with pytest.raises(NotFoundError, match=f"workflow '{wf.id}' not found"):
        db.get_workflow(wf.id)
    with pytest.raises(NotFoundError):
        db.delete_workflow(wf.id)
    assert db.get_session(session.id).current_workflow_id is None
    kept = db.get_generation(gen.id)
    assert kept.workflow_id is None and kept.workflow_json_snapshot == gen.workflow_json_snapshot
