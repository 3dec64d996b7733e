"""The widgets ComfyUI's frontend gives a node, and their values from a UI graph.

``widgets_values`` in a UI graph is positional over the node's widget list as
the frontend builds it from object_info, which is not just the widget inputs:

- inputs come in ``input_order`` (required, then optional); inputs the order
  does not name (the synthetic ``upload``) come last;
- an INT with ``control_after_generate`` (or, when the flag is absent, named
  ``seed``/``noise_seed``) is followed by a ``control_after_generate`` widget;
  a COMBO with the flag also gets a ``control_filter_list`` widget;
- a node whose first required media COMBO has ``image_upload``/``video_upload``/
  ``animated_image_upload`` gets an ``upload`` button widget (value "image");
- a few core nodes get widgets from frontend extensions (``SaveGLB.image``,
  ``PreviewAny.preview``) that object_info does not declare.

Control, filter and upload widgets are saved in ``widgets_values`` but never
sent to the server. STRING widgets with ``dynamicPrompts`` have comments
stripped and ``{a|b}`` choices resolved when queued.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from typing import Any, Callable

from sftui.errors import WorkflowError
from sftui.workflows.nodedefs import MEDIA_UPLOAD_FLAGS, InputDef, NodeDef

MISSING: Any = object()

# The frontend attaches an upload widget to these even when the server omits the flag.
KNOWN_MEDIA_LOADERS = {"LoadImage": "image", "LoadImageMask": "image", "LoadVideo": "file"}
# Socket types the frontend renders as widgets of its own (camera capture, 3D viewers).
FRONTEND_WIDGET_TYPES = frozenset({"LOAD_3D", "LOAD_3D_ANIMATION", "WEBCAM"})
# Widgets frontend extensions add to core nodes: (name, saved in widgets_values, initial value).
FRONTEND_EXTRA_WIDGETS: dict[str, tuple[tuple[str, bool, Any], ...]] = {
    "SaveGLB": (("image", True, ""),),
    "PreviewAny": (("preview", False, ""),),
}
SEED_NAMES = ("seed", "noise_seed")
MAX_DYNAMIC_DEPTH = 50
# JavaScript's "." stops at \r and the Unicode line separators too.
_COMMENTS = re.compile("/\\*[\\s\\S]*?\\*/|//[^\n\r\u2028\u2029]*")
_UNESCAPE = re.compile(r"\\([{}|])")


@dataclass
class Widget:
    name: str
    value: Any = MISSING
    #: Sent to the server (litegraph's ``options.serialize``).
    posted: bool = True
    #: Takes a slot in ``widgets_values`` (litegraph's ``widget.serialize``).
    saved: bool = True
    dynamic_prompts: bool = False
    #: Followed by a control_after_generate companion.
    has_control: bool = False
    frontend_only_type: bool = False


def build_widgets(class_type: str, node_def: NodeDef | None, raw_def: dict | None) -> list[Widget]:
    if node_def is None:
        return []
    widgets: list[Widget] = []
    for name in _ordered_names(node_def, raw_def or {}):
        if name == "upload" and name not in node_def.inputs:
            widgets.append(Widget("upload", "image", posted=False))
            continue
        spec = node_def.inputs[name]
        widget = _widget_for(spec)
        if widget is None:
            continue
        widgets.append(widget)
        if widget.has_control:
            widgets.append(Widget("control_after_generate", "fixed", posted=False))
            if spec.kind == "COMBO":
                widgets.append(Widget("control_filter_list", "", posted=False))
    for name, saved, initial in FRONTEND_EXTRA_WIDGETS.get(class_type, ()):
        widgets.append(Widget(name, initial, saved=saved))
    return widgets


def _ordered_names(node_def: NodeDef, raw_def: dict) -> list[str]:
    upload = _upload_target(node_def, raw_def)
    declared = raw_def.get("input_order")
    if isinstance(declared, dict):
        names = list(node_def.input_order)
        return names + ["upload"] if upload and "upload" not in node_def.inputs else names
    required = [n for n in node_def.input_order if node_def.inputs[n].required]
    optional = [n for n in node_def.input_order if not node_def.inputs[n].required]
    extra = ["upload"] if upload and "upload" not in node_def.inputs else []
    return required + extra + optional


def _upload_target(node_def: NodeDef, raw_def: dict) -> str | None:
    for spec in node_def.inputs.values():
        if spec.required and spec.kind == "COMBO" and any(spec.raw.get(flag) is True for flag in MEDIA_UPLOAD_FLAGS):
            return spec.name
    fallback = KNOWN_MEDIA_LOADERS.get(str(raw_def.get("name") or ""))
    if fallback and fallback in node_def.inputs and node_def.inputs[fallback].kind == "COMBO":
        return fallback
    return None


def _widget_for(spec: InputDef) -> Widget | None:
    if spec.kind == "LINK":
        if len(spec.link_types) == 1 and spec.link_types[0] in FRONTEND_WIDGET_TYPES and not spec.force_input:
            return Widget(spec.name, frontend_only_type=True)
        return None
    if spec.force_input:
        return None
    return Widget(
        spec.name,
        _default(spec),
        dynamic_prompts=spec.kind == "STRING" and bool(spec.raw.get("dynamicPrompts")),
        has_control=_has_control(spec),
    )


def _has_control(spec: InputDef) -> bool:
    flag = spec.raw.get("control_after_generate")
    if spec.kind == "INT":
        return bool(flag) if flag is not None else spec.name in SEED_NAMES
    return spec.kind == "COMBO" and bool(flag)


def _default(spec: InputDef) -> Any:
    if spec.default is not None:
        return spec.default
    if spec.kind in ("INT", "FLOAT"):
        return 0
    if spec.kind == "STRING":
        return ""
    if spec.kind == "BOOLEAN":
        return False
    return spec.options[0] if spec.options else MISSING


def assign_values(widgets: list[Widget], values: Any, node_def: NodeDef | None) -> None:
    """Give each widget its saved value (positional list, or a dict by name)."""
    if isinstance(values, dict):
        by_name = {w.name: w for w in widgets}
        for name, value in values.items():
            if name in by_name:
                by_name[name].value = value
        return
    if not isinstance(values, list):
        return
    values = _drop_legacy_force_input_values(widgets, values, node_def)
    saved = [w for w in widgets if w.saved]
    for widget, value in zip(saved, values):
        widget.value = value


def _drop_legacy_force_input_values(widgets: list[Widget], values: list, node_def: NodeDef | None) -> list:
    """Graphs saved before frontend 1.16 kept a value for forceInput widgets; drop it when the count says so."""
    if node_def is None or not any(spec.force_input and spec.kind != "LINK" for spec in node_def.inputs.values()):
        return values
    names = {w.name for w in widgets}
    counted = [spec for spec in node_def.inputs.values() if spec.name in names or (spec.force_input and spec.kind != "LINK")]
    total = sum(2 if spec.raw.get("control_after_generate") or spec.name in SEED_NAMES else 1 for spec in counted)
    if total != len(values):
        return values
    kept, index = [], 0
    for spec in counted:
        width = 2 if spec.raw.get("control_after_generate") or spec.name in SEED_NAMES else 1
        if not spec.force_input:
            kept.extend(values[index : index + width])
        index += width
    return kept


def widgets_from_names(values: Any) -> list[Widget]:
    """Best effort for a node the server does not know: use names the graph saved."""
    named = values if isinstance(values, dict) else None
    return [Widget(str(name), value) for name, value in (named or {}).items()]


Chooser = Callable[[list[str]], str]


def process_dynamic_prompt(text: str, choose: Chooser, _depth: int = 0) -> str:
    """ComfyUI frontend's ``processDynamicPrompt``: strip C comments, resolve ``{a|b}`` choices."""
    if _depth > MAX_DYNAMIC_DEPTH:
        raise WorkflowError(f"a dynamic prompt nests {{…}} choices more than {MAX_DYNAMIC_DEPTH} levels deep")
    text = _COMMENTS.sub("", text)
    result: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        i += 1
        if char == "\\":
            result.append(_escape(text, i))
            i += 1
        elif char == "{":
            options, i = _choice_block(text, i)
            picked = options[0] if len(options) == 1 else choose(options)
            result.append(process_dynamic_prompt(picked, choose, _depth + 1))
        else:
            result.append(char)
    return _UNESCAPE.sub(r"\1", "".join(result))


def _escape(text: str, i: int) -> str:
    # JavaScript reads past the end as the string "undefined"; kept for fidelity.
    return "\\" + (text[i] if i < len(text) else "undefined")


def _choice_block(text: str, i: int) -> tuple[list[str], int]:
    options: list[str] = []
    current: list[str] = []
    depth = 0
    while i < len(text):
        char = text[i]
        i += 1
        if char == "\\":
            current.append(_escape(text, i))
            i += 1
            continue
        if char == "{":
            depth += 1
        elif char == "}":
            if not depth:
                break
            depth -= 1
        elif char == "|" and not depth:
            options.append("".join(current))
            current = []
            continue
        current.append(char)
    options.append("".join(current))
    return options, i


def make_chooser(rng: random.Random | None, on_choice: Callable[[], None]) -> Chooser:
    generator = rng or random.Random()

    def choose(options: list[str]) -> str:
        on_choice()
        return options[generator.randrange(len(options))]

    return choose
