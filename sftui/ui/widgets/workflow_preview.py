"""What an import will save: detected format, warnings, and the parameters found, by node."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.content import Content
from textual.widgets import Static

from sftui.ui.text import inert, inert_content, inert_markup

# How many values of a long list (options, LoRAs) a preview line shows.
MAX_SHOWN_ITEMS = 4


def short_value(value: Any, limit: int = 60) -> str:
    """A parameter value as one short line (long prompts and lists are cut with …)."""
    if isinstance(value, list):
        shown = ", ".join(short_value(v, 30) for v in value[:MAX_SHOWN_ITEMS])
        more = f", … (+{len(value) - MAX_SHOWN_ITEMS})" if len(value) > MAX_SHOWN_ITEMS else ""
        return f"[{shown}{more}]"
    if isinstance(value, dict) and "name" in value:
        return f"{value['name']} ({value.get('strength_model', 1.0)}/{value.get('strength_clip', 1.0)})"
    text = inert(value if isinstance(value, str) else repr(value), single_line=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _bounds(param: dict[str, Any]) -> str:
    low, high = param.get("min"), param.get("max")
    if low is None and high is None:
        return ""
    return f"  [{'…' if low is None else low} – {'…' if high is None else high}]"


class WorkflowPreview(Static):
    """Filled by ``show(preview)`` with an ``sftui.workflows.importer.ImportPreview``; ``clear()`` empties it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(inert_content("Nothing read yet."), id=id)

    def clear(self, message: str = "Nothing read yet.") -> None:
        self.update(inert_content(message))

    def show(self, preview: Any) -> None:
        self.update(Content("\n").join(self._lines(preview)))

    def _lines(self, preview: Any) -> Iterable[Content]:
        yield inert_markup("[b]Detected:[/b] $detected → saved as $fmt · $n nodes",
                           detected=preview.detected, fmt=preview.source_format, n=len(preview.prompt))
        if preview.warnings:
            yield inert_markup("\n[b]Warnings ($n)[/b]", n=len(preview.warnings))
            for warning in preview.warnings:
                yield inert_markup("[$text-warning]⚠ $w[/]", w=warning)
        if preview.default_parameters:
            yield inert_markup("\n[b]Default parameters[/b] (from the A1111 infotext)")
            yield inert_content(" · ".join(f"{k} {short_value(v)}" for k, v in preview.default_parameters.items()))
        standard = [p for p in preview.extracted if p.get("standard")]
        custom = [p for p in preview.extracted if not p.get("standard")]
        yield inert_markup("\n[b]Parameters:[/b] $s standard, $c custom", s=len(standard), c=len(custom))
        if standard:
            yield inert_content(" · ".join(f"{p.get('label')} {short_value(p.get('value'))}" for p in standard))
        groups: dict[str, list[dict[str, Any]]] = {}
        for param in custom:
            groups.setdefault(str(param.get("nodeId")), []).append(param)
        for node_id, params in groups.items():
            title = params[0].get("group") or params[0].get("class_type") or "node"
            yield inert_markup("[b]$title[/b] (node $node)", title=title, node=node_id)
            for param in params:
                yield inert_content(f"  {param.get('field')} = {short_value(param.get('value'))}{_bounds(param)}")
