"""Reading workflows in every form users have them.

Accepted: API-format prompts, UI graphs (litegraph, with or without
subgraphs), the ``{prompt}``/``{workflow, prompt}`` wrappers, ``/history``
entries, ComfyUI PNGs (``prompt``/``workflow`` text chunks), and A1111
infotext (in a PNG or as plain text). Nothing here stores anything or talks
to a server; converting a UI graph is ``convert.resolve_api_prompt``'s job.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sftui.errors import WorkflowError
from sftui.workflows.limits import MAX_JSON_BYTES, MAX_PNG_BYTES, check_depth, check_node_count, check_unicode, megabytes
from sftui.workflows.pngmeta import is_png, read_png_text

if TYPE_CHECKING:
    from sftui.workflows.a1111 import A1111Parameters

NOT_A_WORKFLOW = "expected API format {id: {class_type, inputs}} or UI format {nodes, links}"


@dataclass
class LoadedWorkflow:
    detected: str
    source_format: Literal["api", "ui", "a1111"]
    api_prompt: dict | None = None
    ui_graph: dict | None = None
    a1111: A1111Parameters | None = None
    warnings: list[str] = field(default_factory=list)


def given_api_prompt(loaded: LoadedWorkflow) -> dict | None:
    """A copy of the API prompt the input holds, or None when it needs converting (``convert``)."""
    if loaded.api_prompt is None:
        return None
    check_depth(loaded.api_prompt, source="the API prompt")
    return copy.deepcopy(loaded.api_prompt)


def load_workflow_file(path: Path) -> LoadedWorkflow:
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_PNG_BYTES + 1)
    except FileNotFoundError:
        raise WorkflowError(f"workflow file {path} does not exist") from None
    except IsADirectoryError:
        raise WorkflowError(f"workflow file {path} is a directory") from None
    except OSError as exc:
        raise WorkflowError(f"cannot read workflow file {path}: {exc.strerror or exc}") from None
    return load_workflow(data, source=str(path))


def load_workflow(data: bytes | str, *, source: str = "<input>") -> LoadedWorkflow:
    """Detect the form of ``data`` (PNG by magic bytes, else JSON, else A1111 text)."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if is_png(data):
            return _load_png(data, source)
        text, warnings = _decode_text(data, source)
    elif isinstance(data, str):
        text, warnings = data, []
        if text.startswith("\ufeff"):
            text = text[1:]
            warnings.append(f"{source} starts with a UTF-8 byte-order mark; ignored it")
    else:
        raise WorkflowError(f"{source}: expected bytes or text, got {type(data).__name__}")
    loaded = _load_text(text, source)
    loaded.warnings[:0] = warnings
    return loaded


def _decode_text(data: bytes, source: str) -> tuple[str, list[str]]:
    if len(data) > MAX_JSON_BYTES:
        raise WorkflowError(f"{source} is larger than {megabytes(MAX_JSON_BYTES)} (MAX_JSON_BYTES); it is too big to be a workflow")
    if _looks_wide(data):
        raise WorkflowError(f"{source} is UTF-16 (or UTF-32) text; save it as UTF-8")
    warnings = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        warnings.append(f"{source} starts with a UTF-8 byte-order mark; ignored it")
    try:
        return data.decode("utf-8"), warnings
    except UnicodeDecodeError as exc:
        raise WorkflowError(f"{source} is not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})") from None


def _looks_wide(data: bytes) -> bool:
    """UTF-16/32 by its byte-order mark, or by ASCII text's every-other-byte NULs.

    Any leading NUL is not enough: binary files (archives, images) start with NULs too,
    and calling them UTF-16 would send the user looking in the wrong place.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or data[:4] == b"\x00\x00\xfe\xff":
        return True
    head = data[:64]
    if len(head) < 4:
        return False
    even, odd = head[0::2], head[1::2]
    return even.count(0) == len(even) or odd.count(0) == len(odd)


def _load_text(text: str, source: str) -> LoadedWorkflow:
    if len(text) > MAX_JSON_BYTES:
        raise WorkflowError(f"{source} is larger than {megabytes(MAX_JSON_BYTES)} (MAX_JSON_BYTES); it is too big to be a workflow")
    head = text.lstrip()[:1]
    if head in ("{", "["):
        try:
            value = parse_json(text, source)
        except WorkflowError:
            # A prompt may start with "{a|b}" dynamic-prompt syntax.
            if not _looks_like_infotext(text):
                raise
        else:
            return classify(value, source)
    if _looks_like_infotext(text):
        from sftui.workflows.a1111 import parse_infotext

        params, warnings = parse_infotext(text, source=source)
        return LoadedWorkflow("A1111 infotext", "a1111", a1111=params, warnings=warnings)
    if head and head in "\"-0123456789tfnNI":
        return classify(parse_json(text, source), source)
    raise WorkflowError(f"{source} is not a workflow: it is neither JSON nor A1111 infotext")


class _BadConstant(ValueError):
    pass


def _looks_like_infotext(text: str) -> bool:
    # The A1111 parser loads only for text that is not a workflow's JSON.
    from sftui.workflows.a1111 import looks_like_infotext

    return looks_like_infotext(text)


def _reject_constant(name: str) -> Any:
    raise _BadConstant(name)


def parse_json(text: str, source: str, *, what: str = "JSON") -> Any:
    """Strict JSON: NaN/Infinity are rejected (ComfyUI's server and browsers reject them too)."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except _BadConstant as exc:
        raise WorkflowError(f"{what} in {source} contains {exc}, which is not valid JSON") from None
    except json.JSONDecodeError as exc:
        raise WorkflowError(f"invalid {what} in {source} at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except RecursionError:
        raise WorkflowError(f"{what} in {source} is nested too deeply to be a workflow") from None
    check_depth(value, source=source)
    if _may_hold_surrogates(text):
        check_unicode(value, source=f"{what} in {source}")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _may_hold_surrogates(text: str) -> bool:
    """Only a \\uD8xx-\\uDFxx escape (or a raw surrogate) can give one; skip the walk otherwise."""
    if _SURROGATE_ESCAPE.search(text):
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def classify(obj: Any, source: str) -> LoadedWorkflow:
    """Recognise a parsed JSON value as one of the workflow forms."""
    if not isinstance(obj, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", type(None): "null"}.get(type(obj), "a number")
        raise WorkflowError(f"JSON in {source} is not a ComfyUI workflow: it is {kind}; {NOT_A_WORKFLOW}")
    if is_ui_graph(obj):
        return _make(ui_label(obj), None, obj, source)
    if is_api_prompt(obj):
        return _make("API format", obj, None, source)
    history = _history_entry(obj)
    if history is not None:
        entry, extra_warnings = history
        record = entry["prompt"]
        extra = record[3] if len(record) > 3 and isinstance(record[3], dict) else {}
        loaded = _make("/history entry", _api_or_error(record[2], source, "its prompt"), _embedded_ui(extra), source)
        loaded.warnings[:0] = [f"{source}: {w}" for w in extra_warnings]
        return loaded
    if "prompt" in obj:
        api = _api_or_error(obj["prompt"], source, '"prompt"')
        if "workflow" in obj:
            return _make("{workflow, prompt} wrapper", api, _ui_or_error(obj["workflow"], source, '"workflow"'), source)
        extra = obj.get("extra_data") if isinstance(obj.get("extra_data"), dict) else {}
        return _make("{prompt: …} wrapper", api, _embedded_ui(extra), source)
    if "workflow" in obj:
        return _make("{workflow: …} wrapper", None, _ui_or_error(obj["workflow"], source, '"workflow"'), source)
    raise WorkflowError(f"JSON in {source} is not a ComfyUI workflow: {NOT_A_WORKFLOW}")


def is_ui_graph(obj: Any) -> bool:
    return isinstance(obj, dict) and isinstance(obj.get("nodes"), list) and isinstance(obj.get("links", []), (list, dict))


def ui_label(graph: dict) -> str:
    definitions = graph.get("definitions")
    subgraphs = definitions.get("subgraphs") if isinstance(definitions, dict) else None
    return "UI format with subgraphs" if subgraphs else "UI format (litegraph)"


def is_api_prompt(obj: Any) -> bool:
    if not isinstance(obj, dict) or not obj or "nodes" in obj:
        return False
    return any(isinstance(node, dict) and "class_type" in node for node in obj.values())


def _history_entry(obj: dict) -> tuple[dict, list[str]] | None:
    if _is_history_inner(obj):
        return obj, []
    if obj and all(isinstance(v, dict) and _is_history_inner(v) for v in obj.values()):
        entries = list(obj.values())
        warnings = [f"the /history answer holds {len(entries)} prompts; using the first ({next(iter(obj))})"] if len(entries) > 1 else []
        return entries[0], warnings
    return None


def _is_history_inner(obj: dict) -> bool:
    record = obj.get("prompt")
    return isinstance(record, list) and len(record) >= 3 and isinstance(record[2], dict)


def _api_or_error(value: Any, source: str, where: str) -> dict:
    if is_api_prompt(value):
        return value
    raise WorkflowError(f"{where} in {source} is not an API-format prompt: expected {{id: {{class_type, inputs}}}}")


def _ui_or_error(value: Any, source: str, where: str) -> dict | None:
    if value is None:
        return None
    if is_ui_graph(value):
        return value
    raise WorkflowError(f"{where} in {source} is not a UI-format graph: expected {{nodes, links}}")


def _embedded_ui(extra: dict) -> dict | None:
    pnginfo = extra.get("extra_pnginfo")
    workflow = pnginfo.get("workflow") if isinstance(pnginfo, dict) else None
    return workflow if is_ui_graph(workflow) else None


def _make(detected: str, api: dict | None, ui: dict | None, source: str) -> LoadedWorkflow:
    if ui is not None:
        check_node_count(ui_node_count(ui), source=source)
    if api is not None:
        check_node_count(len(api), source=source)
    source_format: Literal["api", "ui"] = "api" if api is not None else "ui"
    return LoadedWorkflow(detected=detected, source_format=source_format, api_prompt=api, ui_graph=ui)


def ui_node_count(graph: dict) -> int:
    count = len(graph.get("nodes") or [])
    definitions = graph.get("definitions")
    subgraphs = definitions.get("subgraphs") if isinstance(definitions, dict) else None
    for sub in subgraphs if isinstance(subgraphs, list) else []:
        if isinstance(sub, dict) and isinstance(sub.get("nodes"), list):
            count += len(sub["nodes"])
    return count


def _load_png(data: bytes, source: str) -> LoadedWorkflow:
    texts = read_png_text(data, source=source)
    if "workflow" in texts or "prompt" in texts:
        warnings: list[str] = []
        ui = _png_json(texts, "workflow", source, is_ui_graph, warnings)
        api = _png_json(texts, "prompt", source, is_api_prompt, warnings)
        if ui is None and api is None:
            raise WorkflowError(f"PNG {source} has prompt/workflow text chunks, but neither holds a ComfyUI workflow")
        label = {(True, True): "workflow + prompt", (True, False): "workflow only", (False, True): "prompt only"}[(ui is not None, api is not None)]
        loaded = _make(f"ComfyUI PNG ({label})", api, ui, source)
        loaded.warnings = warnings
        return loaded
    if "parameters" in texts:
        from sftui.workflows.a1111 import parse_infotext

        params, warnings = parse_infotext(texts["parameters"], source=f"PNG {source}")
        return LoadedWorkflow("A1111 PNG infotext", "a1111", a1111=params, warnings=warnings)
    raise WorkflowError(f"PNG {source} has no workflow metadata: no 'prompt', 'workflow' or 'parameters' text chunk")


def _png_json(texts: dict[str, str], key: str, source: str, accept: Any, warnings: list[str]) -> dict | None:
    if key not in texts:
        return None
    value = parse_json(texts[key], f"the {key} chunk of PNG {source}")
    if accept(value):
        return value
    warnings.append(f"PNG {source}: its {key!r} text chunk holds no ComfyUI {key}; ignored it")
    return None
