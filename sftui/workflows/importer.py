"""Import preparation shared by ``sftui workflows import`` and the TUI's import modal.

Pure: given what was loaded and (when known) the server's node definitions, decide the
API prompt to store, collect every warning, and extract the parameters. Nothing is
stored here; the caller saves ``create_kwargs()`` with ``sftui.db.create_workflow``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class ImportPreview:
    detected: str
    source_format: str
    prompt: dict
    ui_graph: dict | None
    extracted: list[dict]
    default_parameters: dict | None = None
    warnings: list[str] = field(default_factory=list)
    suggested_name: str = "Imported workflow"

    def create_kwargs(self, *, name: str | None = None, description: str | None = None, is_default: bool = False) -> dict[str, Any]:
        return {
            "name": name or self.suggested_name,
            "description": description,
            "workflow_json": json.dumps(self.prompt, ensure_ascii=False),
            "workflow_ui_json": json.dumps(self.ui_graph, ensure_ascii=False) if self.ui_graph else None,
            "source_format": self.source_format,
            "default_parameters": self.default_parameters,
            "extracted_parameters": self.extracted,
            "is_default": is_default,
        }


def needs_object_info(loaded: Any) -> bool:
    """A UI graph cannot be converted without node definitions; everything else can go without."""
    return loaded.api_prompt is None and loaded.ui_graph is not None


def suggested_name(source: str) -> str:
    if source.startswith("<"):
        return "Imported workflow"
    return Path(source).stem or "Imported workflow"


def prepare_import(loaded: Any, object_info: dict | None, *, source: str) -> ImportPreview:
    from sftui.workflows.convert import resolve_api_prompt
    from sftui.workflows.extract import extract_parameters
    from sftui.workflows.validate import check_prompt

    warnings = list(loaded.warnings)
    defaults = None
    if loaded.source_format == "a1111":
        from sftui.workflows.apply import apply_parameters
        from sftui.workflows.defaults import default_workflow

        a1111 = loaded.a1111
        defaults = dict(a1111.parameters)
        prompt = apply_parameters(default_workflow(), defaults, prompt_text=a1111.prompt, negative_prompt=a1111.negative_prompt).prompt
    else:
        result = resolve_api_prompt(loaded, object_info)
        prompt = result.prompt
        warnings += list(result.warnings)
    if object_info is None:
        warnings.append("node definitions unavailable: validated the graph's shape only")
    warnings += [w.message for w in check_prompt(prompt, object_info, source=source)]
    return ImportPreview(
        detected=loaded.detected,
        source_format=loaded.source_format,
        prompt=prompt,
        ui_graph=loaded.ui_graph,
        extracted=extract_parameters(prompt, object_info),
        default_parameters=defaults,
        warnings=warnings,
        suggested_name=suggested_name(source),
    )
