"""Detecting every workflow form, and the one-line errors for inputs that are not workflows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sftui.errors import WorkflowError
from sftui.workflows import limits
from sftui.workflows.formats import load_workflow, load_workflow_file

API = {"1": {"class_type": "EmptyImage", "inputs": {"width": 8, "height": 8, "batch_size": 1, "color": 0}}, "2": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}}
UI = {"nodes": [{"id": 1, "type": "EmptyImage", "widgets_values": [8, 8, 1, 0]}], "links": [], "version": 0.4}
UI_SUB = {**UI, "definitions": {"subgraphs": [{"id": "s", "nodes": [], "links": []}]}}


def detect(value) -> tuple[str, str, bool, bool]:
    loaded = load_workflow(json.dumps(value), source="wf.json")
    return loaded.detected, loaded.source_format, loaded.api_prompt is not None, loaded.ui_graph is not None


@pytest.mark.parametrize(
    "value,expected",
    [
        (API, ("API format", "api", True, False)),
        (UI, ("UI format (litegraph)", "ui", False, True)),
        (UI_SUB, ("UI format with subgraphs", "ui", False, True)),
        ({"prompt": API}, ("{prompt: …} wrapper", "api", True, False)),
        ({"prompt": API, "client_id": "x", "extra_data": {"extra_pnginfo": {"workflow": UI}}}, ("{prompt: …} wrapper", "api", True, True)),
        ({"workflow": UI, "prompt": API}, ("{workflow, prompt} wrapper", "api", True, True)),
        ({"workflow": UI}, ("{workflow: …} wrapper", "ui", False, True)),
        ({"prompt": [3, "abc", API, {"extra_pnginfo": {"workflow": UI}}, ["2"]], "outputs": {}}, ("/history entry", "api", True, True)),
        ({"abc": {"prompt": [3, "abc", API, {}, ["2"]], "outputs": {}, "status": {}}}, ("/history entry", "api", True, False)),
    ],
)
def test_detects_each_json_form(value, expected) -> None:
    assert detect(value) == expected


def test_real_history_capture(reference_dir: Path) -> None:
    loaded = load_workflow_file(reference_dir / "model_free_history.json")
    assert loaded.detected == "/history entry"
    assert loaded.api_prompt["2"]["class_type"] == "ImageInvert"
    assert loaded.ui_graph is not None and loaded.warnings == []


def test_history_with_several_entries_uses_the_first() -> None:
    entry = {"prompt": [1, "a", API, {}, []]}
    loaded = load_workflow(json.dumps({"a": entry, "b": entry}), source="h.json")
    assert loaded.warnings == ["h.json: the /history answer holds 2 prompts; using the first (a)"]


def test_utf8_bom_is_accepted_with_a_warning() -> None:
    loaded = load_workflow(b"\xef\xbb\xbf" + json.dumps(API).encode(), source="bom.json")
    assert loaded.detected == "API format"
    assert loaded.warnings == ["bom.json starts with a UTF-8 byte-order mark; ignored it"]
    assert load_workflow("\ufeff" + json.dumps(API), source="s").warnings == ["s starts with a UTF-8 byte-order mark; ignored it"]


ERRORS = [
    (b'{"1": {"class_type": "X",}', "invalid JSON in wf.json at line 1, column 26: Expecting property name enclosed in double quotes"),
    (b'{\n "a": 1\n "b": 2}', "invalid JSON in wf.json at line 3, column 2: Expecting ',' delimiter"),
    (json.dumps(API).encode("utf-16"), "wf.json is UTF-16 (or UTF-32) text; save it as UTF-8"),
    (json.dumps(API).encode("utf-16-le"), "wf.json is UTF-16 (or UTF-32) text; save it as UTF-8"),
    (b'{"a": "caf\xe9"}', "wf.json is not UTF-8 text (invalid byte 0xe9 at offset 10)"),
    (b"[1, 2]", "JSON in wf.json is not a ComfyUI workflow: it is an array; expected API format {id: {class_type, inputs}} or UI format {nodes, links}"),
    (b'"text"', "JSON in wf.json is not a ComfyUI workflow: it is a string; expected API format {id: {class_type, inputs}} or UI format {nodes, links}"),
    (b"42", "JSON in wf.json is not a ComfyUI workflow: it is a number; expected API format {id: {class_type, inputs}} or UI format {nodes, links}"),
    (b'{"name": "x"}', "JSON in wf.json is not a ComfyUI workflow: expected API format {id: {class_type, inputs}} or UI format {nodes, links}"),
    (b"{}", "JSON in wf.json is not a ComfyUI workflow: expected API format {id: {class_type, inputs}} or UI format {nodes, links}"),
    (b'{"1": {"class_type": "X", "inputs": {"v": NaN}}}', "JSON in wf.json contains NaN, which is not valid JSON"),
    (b'{"1": {"class_type": "X", "inputs": {"v": -Infinity}}}', "JSON in wf.json contains -Infinity, which is not valid JSON"),
    (b"just some words", "wf.json is not a workflow: it is neither JSON nor A1111 infotext"),
    (b"", "wf.json is not a workflow: it is neither JSON nor A1111 infotext"),
    (b'{"prompt": {"a": 1}}', '"prompt" in wf.json is not an API-format prompt: expected {id: {class_type, inputs}}'),
    (b'{"workflow": {"a": 1}}', '"workflow" in wf.json is not a UI-format graph: expected {nodes, links}'),
    (b"[" * 150 + b"]" * 150, "wf.json nests JSON more than 100 levels deep (limit MAX_JSON_DEPTH); it is not a workflow"),
    (b"[" * 100_000 + b"]" * 100_000, "JSON in wf.json is nested too deeply to be a workflow"),
]


@pytest.mark.parametrize("data,message", ERRORS)
def test_errors_are_one_line_and_name_the_source(data: bytes, message: str) -> None:
    with pytest.raises(WorkflowError) as excinfo:
        load_workflow(data, source="wf.json")
    assert str(excinfo.value) == message
    assert "\n" not in str(excinfo.value)


def test_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patch:
        patch.setattr("sftui.workflows.formats.MAX_JSON_BYTES", 100)
        with pytest.raises(WorkflowError) as excinfo:
            load_workflow(b" " * 101 + b"{}", source="big.json")
        assert str(excinfo.value) == "big.json is larger than 100 bytes (MAX_JSON_BYTES); it is too big to be a workflow"
    monkeypatch.setattr(limits, "MAX_NODES", 3)
    nodes = {str(i): {"class_type": "X", "inputs": {}} for i in range(4)}
    with pytest.raises(WorkflowError) as excinfo:
        load_workflow(json.dumps(nodes), source="many.json")
    assert str(excinfo.value) == "many.json has 4 nodes, more than the limit of 3 (MAX_NODES)"
    graph = {"nodes": [{"id": 1, "type": "X"}] * 2, "links": [], "definitions": {"subgraphs": [{"id": "s", "nodes": [{"id": 1}] * 2}]}}
    with pytest.raises(WorkflowError, match=r"^ui.json has 4 nodes, more than the limit of 3 \(MAX_NODES\)$"):
        load_workflow(json.dumps(graph), source="ui.json")


def test_a1111_plain_text() -> None:
    text = "a castle, {sunny|rainy}\nNegative prompt: fog\nSteps: 12, Sampler: Euler a, CFG scale: 6, Seed: 9, Size: 640x480, Model: dream"
    loaded = load_workflow(text.encode(), source="params.txt")
    assert (loaded.detected, loaded.source_format, loaded.api_prompt, loaded.ui_graph) == ("A1111 infotext", "a1111", None, None)
    assert loaded.a1111.prompt == "a castle, {sunny|rainy}"
    assert loaded.a1111.parameters["checkpoint_name"] == "dream.safetensors"
    assert loaded.warnings == ["params.txt: A1111 Model 'dream' has no file extension; assuming dream.safetensors"]
    braces = "{a|b} cat\nSteps: 3, Sampler: Euler, Seed: 1"
    assert load_workflow(braces, source="t").a1111.prompt == "{a|b} cat"


def test_load_workflow_file_errors(tmp_path: Path) -> None:
    with pytest.raises(WorkflowError, match=f"^workflow file {tmp_path / 'nope.json'} does not exist$"):
        load_workflow_file(tmp_path / "nope.json")
    with pytest.raises(WorkflowError, match=f"^workflow file {tmp_path} is a directory$"):
        load_workflow_file(tmp_path)
    path = tmp_path / "wf.json"
    path.write_text(json.dumps({"workflow": UI, "prompt": API}))
    loaded = load_workflow_file(path)
    assert loaded.detected == "{workflow, prompt} wrapper" and loaded.ui_graph == UI
