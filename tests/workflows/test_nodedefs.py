import json

from sftui.workflows.nodedefs import NodeDefs, parse_input


def test_every_captured_node_parses(reference_dir):
    info = json.loads((reference_dir / "object_info.json").read_text())
    defs = NodeDefs(info)
    for class_type in defs:
        node = defs.get(class_type)
        assert node is not None
        assert list(node.inputs) == list(node.input_order)


def test_both_combo_forms_and_link_forms(reference_dir):
    defs = NodeDefs(json.loads((reference_dir / "object_info.json").read_text()))
    sampler = defs.get("KSampler").inputs["sampler_name"]
    assert sampler.kind == "COMBO" and "euler" in sampler.options
    blend = defs.get("ImageBlend").inputs["blend_mode"]
    assert blend.kind == "COMBO" and blend.options[0] == "normal"
    seed = defs.get("KSampler").inputs["seed"]
    assert seed.kind == "INT" and seed.control_after_generate and seed.max == 2**64 - 1
    assert defs.get("KSampler").inputs["model"].kind == "LINK"
    assert defs.get("PreviewAny").inputs["source"].accepts_link_type("IMAGE")
    multi = defs.get("TripoConversionNode").inputs["original_model_task_id"]
    assert multi.link_types == ("MODEL_TASK_ID", "RIG_TASK_ID", "RETARGET_TASK_ID")
    assert multi.accepts_link_type("RIG_TASK_ID") and not multi.accepts_link_type("IMAGE")
    assert defs.get("LoadImage").inputs["image"].image_upload
    assert defs.get("SaveImage").hidden == ("prompt", "extra_pnginfo")
    widgets = [i.name for i in defs.get("KSampler").widget_inputs()]
    assert widgets == ["seed", "steps", "cfg", "sampler_name", "scheduler", "denoise"]


def test_hidden_as_string_and_garbage_specs():
    assert parse_input("x", "PROMPT", required=False).kind == "LINK"
    assert parse_input("x", 42, required=True).link_types == ("*",)
    assert parse_input("x", ["INT", {"forceInput": True}], required=True).is_widget is False


def test_malformed_definitions_never_raise():
    from sftui.workflows.nodedefs import parse_node_def

    for raw in ({"input": []}, {"input": {"required": [1, 2]}}, {"input": {"required": {"a": "INT"}}, "input_order": "x"},
                {"output": "IMAGE", "output_name": 3, "input": {"hidden": ["PROMPT"]}}):
        node = parse_node_def("X", raw)
        assert node.class_type == "X"
