"""Arbitrary bytes, text, PNG-ish files and JSON-like workflows: reading, converting, extracting
and applying raise nothing but ``SftuiError`` (one line), and never change their input.

tests/workflows/test_validate_fuzz.py covers short random bytes, single PNG chunks, the
converter on graph-shaped input and validation; this adds the byte level (encodings,
truncation, damage), whole PNG chunk streams, infotext, and the full import pipeline.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sftui.errors import SftuiError
from sftui.workflows.a1111 import parse_infotext
from sftui.workflows.formats import load_workflow
from tests.fuzz.strategies import FUZZ, json_like, mutated_graphs, mutated_prompts, nasty_text, pngish, workflow_values

ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "latin-1", "cp1252"]


def only_sftui_errors(call: Any) -> Any:
    try:
        return call()
    except SftuiError as exc:
        assert str(exc) and "\n" not in str(exc), repr(str(exc))
        return None


@st.composite
def encoded_workflows(draw: Any) -> bytes:
    """A workflow-ish JSON document, encoded some way, maybe truncated or with junk around it."""
    text = json.dumps(draw(workflow_values), ensure_ascii=draw(st.booleans()), indent=draw(st.sampled_from([None, 1])))
    data = text.encode(draw(st.sampled_from(ENCODINGS)), "replace")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return draw(st.binary(max_size=4)) + data + draw(st.binary(max_size=4))


@FUZZ
@given(encoded_workflows())
def test_load_workflow_on_encoded_bytes(data: bytes) -> None:
    only_sftui_errors(lambda: load_workflow(data, source="fuzz.json"))


@FUZZ
@given(st.one_of(nasty_text, workflow_values.map(json.dumps), st.text(max_size=200)))
def test_load_workflow_on_text_with_surrogates_and_controls(text: str) -> None:
    loaded = only_sftui_errors(lambda: load_workflow(text, source="fuzz.txt"))
    if loaded is not None and loaded.source_format != "a1111":
        # Whatever was accepted can be stored: no lone surrogate survives into it.
        json.dumps(loaded.api_prompt or loaded.ui_graph, ensure_ascii=False).encode("utf-8")


@FUZZ
@given(pngish())
def test_load_workflow_on_png_ish_bytes(data: bytes) -> None:
    only_sftui_errors(lambda: load_workflow(data, source="fuzz.png"))


@st.composite
def infotexts(draw: Any) -> str:
    keys = st.sampled_from(["Steps", "Sampler", "Schedule type", "CFG scale", "Seed", "Size", "Model", "Model hash", "Denoising strength", "Clip skip", "Lora hashes", "x"])
    values = st.one_of(nasty_text, st.integers(-(2**70), 2**70).map(str), st.floats(allow_nan=True).map(str), st.sampled_from(["512x512", "0x0", "-1x5", "1e309", "Euler a", '"quoted, value"']))
    pairs = draw(st.lists(st.tuples(keys, values), min_size=1, max_size=8))
    params = ", ".join(f"{k}: {v}" for k, v in pairs)
    return f"{draw(nasty_text)}\nNegative prompt: {draw(nasty_text)}\n{params}"


@FUZZ
@given(infotexts())
def test_infotext_parsing_and_loading(text: str) -> None:
    only_sftui_errors(lambda: parse_infotext(text, source="fuzz.txt"))
    only_sftui_errors(lambda: load_workflow(text, source="fuzz.txt"))


def _object_info() -> dict:
    from sftui.comfy.simulator.catalog import Catalog

    return Catalog().info


OBJECT_INFO = _object_info()
parameter_values = st.one_of(json_like, st.integers(-(2**70), 2**70), st.lists(st.fixed_dictionaries({"name": nasty_text}, optional={"strength_model": json_like}), max_size=2))
parameters = st.dictionaries(st.sampled_from(["seed", "steps", "cfg_scale", "width", "height", "batch_size", "sampler_name", "scheduler", "checkpoint_name", "loras", "3.seed", "6.text", "9.x", "x.y", "bogus"]),
                             parameter_values, max_size=5)  # fmt: skip


@FUZZ
@given(st.one_of(mutated_prompts(), mutated_graphs(), workflow_values), parameters, st.none() | nasty_text, st.booleans())
def test_import_pipeline_then_apply(value: Any, params: dict[str, Any], text: str | None, with_info: bool) -> None:
    """load → convert → validate → extract (what `workflows import` does), then apply parameters."""
    from sftui.workflows.apply import apply_parameters
    from sftui.workflows.importer import prepare_import

    raw = json.dumps(value)
    before = copy.deepcopy(value)
    info = OBJECT_INFO if with_info else None
    loaded = only_sftui_errors(lambda: load_workflow(raw, source="fuzz.json"))
    if loaded is None:
        return
    preview = only_sftui_errors(lambda: prepare_import(loaded, info, source="fuzz.json"))
    if preview is not None:
        only_sftui_errors(lambda: apply_parameters(preview.prompt, params, prompt_text=text, negative_prompt=text, object_info=info))
    assert value == before
