"""UI -> API conversion on hand-built graphs (tests/workflows/fixtures/*.ui.json, expected *.api.json)."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path

import pytest

from sftui.errors import ObjectInfoUnavailable, WorkflowError
from sftui.workflows.convert import resolve_api_prompt, ui_to_api
from sftui.workflows.formats import LoadedWorkflow
from sftui.workflows.validate import validate_prompt

FIXTURES = Path(__file__).parent / "fixtures"
MODEL_WARNING = "model file 'base.safetensors' is not on the server"


@pytest.fixture(scope="module")
def object_info(reference_dir: Path) -> dict:
    return json.loads((reference_dir / "object_info.json").read_text())


def fixture(name: str) -> tuple[dict, dict]:
    return json.loads((FIXTURES / f"{name}.ui.json").read_text()), json.loads((FIXTURES / f"{name}.api.json").read_text())


def without_meta(prompt: dict) -> dict:
    return {node_id: {k: v for k, v in node.items() if k != "_meta"} for node_id, node in prompt.items()}


@pytest.mark.parametrize(
    "name,errors",
    [
        ("reroutes_primitives", []),
        ("subgraphs_nested", []),
        ("widget_values", []),
        (
            "bypass_mute",
            ['node 10 (PreviewImage) input "images": required input is missing', 'node 15 (SaveImage) input "images": required input is missing'],
        ),
        (
            "removed_links",
            ['node 4 (SaveImage) input "images": required input is missing', 'node 5 (PreviewImage) input "images": required input is missing'],
        ),
    ],
)
def test_fixture_converts_to_the_exact_prompt(object_info: dict, name: str, errors: list[str]) -> None:
    graph, expected = fixture(name)
    result = ui_to_api(graph, object_info)
    assert without_meta(result.prompt) == expected
    issues = validate_prompt(result.prompt, object_info)
    assert [i.message for i in issues if i.severity == "error"] == errors
    assert all("model file" in i.message or "input file" in i.message for i in issues if i.severity == "warning")


def test_reroute_chain_primitive_and_note_nodes_are_not_emitted(object_info: dict) -> None:
    graph, _ = fixture("reroutes_primitives")
    prompt = ui_to_api(graph, object_info).prompt
    emitted = {node["class_type"] for node in prompt.values()}
    assert emitted.isdisjoint({"Reroute", "PrimitiveNode", "Note", "MarkdownNote"})
    assert prompt["13"]["_meta"]["title"] == "Refiner"
    assert prompt["8"]["_meta"]["title"] == "VAE Decode"


def test_removed_links_are_reported(object_info: dict) -> None:
    graph, _ = fixture("removed_links")
    assert ui_to_api(graph, object_info).warnings == [
        'node 1 (EmptyImage) input "width" is linked to missing node 42; dropped the link',
        'node 4 (SaveImage) input "images" refers to missing link 99; treated as unconnected',
        'node 5 (PreviewImage) input "images" is linked to missing node 43; dropped the link',
    ]


def test_muted_subgraph_instance_drops_its_inner_nodes(object_info: dict) -> None:
    graph, expected = fixture("subgraphs_nested")
    graph = copy.deepcopy(graph)
    next(n for n in graph["nodes"] if n["id"] == 7)["mode"] = 2
    prompt = without_meta(ui_to_api(graph, object_info).prompt)
    kept = {k: v for k, v in expected.items() if not k.startswith("7:")}
    kept["9"] = {"class_type": "SaveImage", "inputs": {"filename_prefix": "bird"}}
    assert prompt == kept


def _invert_subgraph(mode: int) -> dict:
    sub_id = "44444444-4444-4444-8444-444444444444"
    definition = {
        "id": sub_id,
        "name": "Invert",
        "inputs": [{"name": "image", "type": "IMAGE", "linkIds": [1]}],
        "outputs": [{"name": "IMAGE", "type": "IMAGE", "linkIds": [2]}],
        "nodes": [{"id": 5, "type": "ImageInvert", "inputs": [{"name": "image", "type": "IMAGE", "link": 1}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}]}],
        "links": [
            {"id": 1, "origin_id": -10, "origin_slot": 0, "target_id": 5, "target_slot": 0, "type": "IMAGE"},
            {"id": 2, "origin_id": 5, "origin_slot": 0, "target_id": -20, "target_slot": 0, "type": "IMAGE"},
        ],
    }
    nodes = [
        {"id": 1, "type": "EmptyImage", "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": [8, 8, 1, 0]},
        {"id": 2, "type": sub_id, "mode": mode, "inputs": [{"name": "image", "type": "IMAGE", "link": 1}], "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [2]}]},
        {"id": 3, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 2}]},
    ]
    links = [[1, 1, 0, 2, 0, "IMAGE"], [2, 2, 0, 3, 0, "IMAGE"]]
    return {"nodes": nodes, "links": links, "last_node_id": 3, "definitions": {"subgraphs": [definition]}}


def test_bypassed_subgraph_instance_passes_its_input_through(object_info: dict) -> None:
    active = without_meta(ui_to_api(_invert_subgraph(0), object_info).prompt)
    assert active["2:5"] == {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}}
    assert active["3"]["inputs"] == {"images": ["2:5", 0]}
    bypassed = without_meta(ui_to_api(_invert_subgraph(4), object_info).prompt)
    assert sorted(bypassed) == ["1", "3"]
    assert bypassed["3"]["inputs"] == {"images": ["1", 0]}


def test_dynamic_prompt_choices_use_the_given_rng_and_warn(object_info: dict) -> None:
    graph, _ = fixture("widget_values")
    graph = copy.deepcopy(graph)
    next(n for n in graph["nodes"] if n["id"] == 7)["widgets_values"] = ["a {red|green|blue} {car|boat}"]
    first = ui_to_api(graph, object_info, rng=random.Random(7))
    second = ui_to_api(graph, object_info, rng=random.Random(7))
    text = first.prompt["7"]["inputs"]["text"]
    assert text == second.prompt["7"]["inputs"]["text"]
    colour, vehicle = text.removeprefix("a ").split(" ")
    assert colour in {"red", "green", "blue"} and vehicle in {"car", "boat"}
    assert first.warnings == ['dynamic prompt choices {a|b} were resolved at random, as the browser does, in: node 7 "text"']


def test_unknown_node_type_warns_and_keeps_links(object_info: dict) -> None:
    graph = {
        "nodes": [
            {"id": 1, "type": "EmptyImage", "mode": 0, "outputs": [{"name": "IMAGE", "type": "IMAGE", "links": [1]}], "widgets_values": [8, 8, 1, 0]},
            {"id": 2, "type": "MyCustomNode", "mode": 0, "inputs": [{"name": "image", "type": "IMAGE", "link": 1}], "widgets_values": {"strength": 3}},
        ],
        "links": [[1, 1, 0, 2, 0, "IMAGE"]],
    }
    result = ui_to_api(graph, object_info)
    assert result.prompt["2"]["inputs"] == {"strength": 3, "image": ["1", 0]}
    assert result.warnings == [
        "node 2 (MyCustomNode): the server has no node type 'MyCustomNode' (a custom node that is not installed?); its widget values could not be mapped"
    ]


def _graph(*nodes: dict, links: list | None = None) -> dict:
    return {"nodes": list(nodes), "links": links or []}


def test_seed_control_by_name_by_flag_and_combo_controls() -> None:
    object_info = {
        "NamedSeed": {"input": {"required": {"seed": ["INT", {}], "steps": ["INT", {}]}}, "output": [], "output_node": True},
        "NoControl": {"input": {"required": {"seed": ["INT", {"control_after_generate": False}], "steps": ["INT", {}]}}, "output": []},
        "FlaggedInt": {"input": {"required": {"value": ["INT", {"control_after_generate": True}], "steps": ["INT", {}]}}, "output": []},
        "ComboControl": {"input": {"required": {"pick": [["a", "b"], {"control_after_generate": True}], "steps": ["INT", {}]}}, "output": []},
    }
    graph = _graph(
        {"id": 1, "type": "NamedSeed", "widgets_values": [11, "randomize", 3]},
        {"id": 2, "type": "NoControl", "widgets_values": [12, 4]},
        {"id": 3, "type": "FlaggedInt", "widgets_values": [13, "fixed", 5]},
        {"id": 4, "type": "ComboControl", "widgets_values": ["b", "increment", "", 6]},
    )
    prompt = without_meta(ui_to_api(graph, object_info).prompt)
    assert prompt == {
        "1": {"class_type": "NamedSeed", "inputs": {"seed": 11, "steps": 3}},
        "2": {"class_type": "NoControl", "inputs": {"seed": 12, "steps": 4}},
        "3": {"class_type": "FlaggedInt", "inputs": {"value": 13, "steps": 5}},
        "4": {"class_type": "ComboControl", "inputs": {"pick": "b", "steps": 6}},
    }


def test_legacy_force_input_values_are_dropped(object_info: dict) -> None:
    legacy = _graph({"id": 1, "type": "SaveLoRANode", "widgets_values": ["loras/mine", 100]})
    current = _graph({"id": 1, "type": "SaveLoRANode", "widgets_values": ["loras/mine"]})
    for graph in (legacy, current):
        assert ui_to_api(graph, object_info).prompt["1"]["inputs"] == {"prefix": "loras/mine"}


def test_frontend_only_widgets_and_defaults(object_info: dict) -> None:
    graph = _graph(
        {"id": 1, "type": "SaveGLB", "widgets_values": ["mesh/x", "shot.png"]},
        {"id": 2, "type": "SaveGLB", "widgets_values": ["mesh/y"]},
        {"id": 3, "type": "KSampler"},
        {"id": 4, "type": "LoadImage", "widgets_values": [["a.png", "b.png"], "image"]},
    )
    prompt = ui_to_api(graph, object_info).prompt
    assert prompt["1"]["inputs"] == {"filename_prefix": "mesh/x", "image": "shot.png"}
    assert prompt["2"]["inputs"] == {"filename_prefix": "mesh/y", "image": ""}
    # No saved values: the frontend posts the widget defaults (first option of a COMBO).
    assert prompt["3"]["inputs"] == {"seed": 0, "steps": 20, "cfg": 8.0, "sampler_name": "euler", "scheduler": "simple", "denoise": 1.0}
    # A list value would read as a link, so it is boxed.
    assert prompt["4"]["inputs"] == {"image": {"__value__": ["a.png", "b.png"]}}


def test_primitive_through_a_reroute_does_not_reach_the_widget(object_info: dict) -> None:
    # PrimitiveNode.applyToGraph only writes widgets it is linked to directly.
    graph = _graph(
        {"id": 1, "type": "PrimitiveNode", "outputs": [{"name": "INT", "type": "INT", "links": [1]}], "widgets_values": [99, "fixed"]},
        {"id": 2, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 1}], "outputs": [{"name": "", "type": "INT", "links": [2]}]},
        {"id": 3, "type": "EmptyImage", "inputs": [{"name": "width", "type": "INT", "widget": {"name": "width"}, "link": 2}], "widgets_values": [8, 8, 1, 0]},
        links=[[1, 1, 0, 2, 0, "INT"], [2, 2, 0, 3, 0, "INT"]],
    )
    assert ui_to_api(graph, object_info).prompt["3"]["inputs"]["width"] == 8


def test_reroute_loop_is_an_error(object_info: dict) -> None:
    graph = _graph(
        {"id": 1, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 2}], "outputs": [{"name": "", "type": "*", "links": [1, 3]}]},
        {"id": 2, "type": "Reroute", "inputs": [{"name": "", "type": "*", "link": 1}], "outputs": [{"name": "", "type": "*", "links": [2]}]},
        {"id": 3, "type": "PreviewImage", "inputs": [{"name": "images", "type": "IMAGE", "link": 3}]},
        links=[[1, 1, 0, 2, 0, "*"], [2, 2, 0, 1, 0, "*"], [3, 1, 0, 3, 0, "IMAGE"]],
    )
    with pytest.raises(WorkflowError, match=r"circular link through node \d \(Reroute\)"):
        ui_to_api(graph, object_info)


def test_subgraph_that_contains_itself_is_an_error(object_info: dict) -> None:
    sub_id = "33333333-3333-4333-8333-333333333333"
    definition = {"id": sub_id, "name": "Loop", "nodes": [{"id": 1, "type": sub_id}], "links": [], "inputs": [], "outputs": []}
    graph = {"nodes": [{"id": 1, "type": sub_id}], "links": [], "definitions": {"subgraphs": [definition]}}
    with pytest.raises(WorkflowError, match=r"subgraph 'Loop' \(3333.*\) contains itself"):
        ui_to_api(graph, object_info)


def test_group_nodes_are_rejected_with_advice(object_info: dict) -> None:
    graph = {"nodes": [{"id": 1, "type": "workflow>MyGroup"}], "links": [], "extra": {"groupNodes": {"MyGroup": {"nodes": []}}}}
    with pytest.raises(WorkflowError, match="legacy group node 'workflow>MyGroup'; open it in ComfyUI, convert the group node to a subgraph"):
        ui_to_api(graph, object_info)


def test_resolve_api_prompt(object_info: dict) -> None:
    api = {"1": {"class_type": "EmptyImage", "inputs": {"width": 8}}}
    result = resolve_api_prompt(LoadedWorkflow("API format", "api", api_prompt=api), None)
    assert result.prompt == api and result.prompt is not api and result.prompt["1"] is not api["1"]
    graph, expected = fixture("removed_links")
    loaded = LoadedWorkflow("UI format (litegraph)", "ui", ui_graph=graph)
    assert without_meta(resolve_api_prompt(loaded, object_info).prompt) == expected
    with pytest.raises(ObjectInfoUnavailable) as excinfo:
        resolve_api_prompt(loaded, None)
    assert str(excinfo.value) == (
        "converting a UI-format workflow needs the server's node definitions: connect to a server or pass --object-info PATH"
    )


def test_nested_subgraph_expansion_is_bounded(object_info: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sftui.workflows.limits.MAX_NODES", 50)
    ids = [f"6666666{i}-6666-4666-8666-666666666666" for i in range(4)]
    definitions = [{"id": ids[3], "name": "leaf", "nodes": [{"id": 1, "type": "EmptyImage", "widgets_values": [8, 8, 1, 0]}], "links": []}]
    for level in range(3):
        definitions.append({"id": ids[level], "name": f"level {level}", "nodes": [{"id": n, "type": ids[level + 1]} for n in range(1, 6)], "links": []})
    graph = {"nodes": [{"id": 1, "type": ids[0]}], "links": [], "definitions": {"subgraphs": definitions}}
    with pytest.raises(WorkflowError) as excinfo:
        ui_to_api(graph, object_info)
    assert str(excinfo.value) == "the UI graph with its subgraphs expanded has 51 nodes, more than the limit of 50 (MAX_NODES)"
    definitions[1]["nodes"] = definitions[1]["nodes"][:1]
    prompt = ui_to_api(graph, object_info).prompt
    assert len(prompt) == 5 * 1 * 5 and all(key.count(":") == 4 for key in prompt)


def test_quarantined_host_values_override_saved_values(object_info: dict) -> None:
    graph, _ = fixture("subgraphs_nested")
    graph = copy.deepcopy(graph)
    instance = next(n for n in graph["nodes"] if n["id"] == 5)
    instance["properties"]["proxyWidgetErrorQuarantine"] = [
        {"originalEntry": ["-1", "seed"], "reason": "missingSourceNode", "hostValue": 11},
        {"originalEntry": ["-1", "seed"], "reason": "missingSourceNode", "hostValue": 12},
        {"originalEntry": ["4", "steps"], "reason": "missingSubgraphInput", "hostValue": 50},
    ]
    prompt = ui_to_api(graph, object_info).prompt
    assert prompt["5:4"]["inputs"]["seed"] == 11
    assert prompt["5:4"]["inputs"]["steps"] == 12
