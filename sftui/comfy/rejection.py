"""Turn ComfyUI's prompt validation answers into one-line ``PromptRejected`` errors.

Shapes seen on the real server (``errors/*.json`` in the captures):

- 400 ``{"error": {type, message, details, extra_info}, "node_errors": {}}`` for
  whole-prompt problems; an unknown or missing ``class_type`` names the node
  only inside ``details`` (``"Node ID '#2'"``).
- 400 ``{"error": ..., "node_errors": {id: {errors: [...], class_type, dependent_outputs}}}``
  for per-input problems; ``extra_info.input_name`` names the input.
- 200 ``{"prompt_id", "number", "node_errors": {...}}``: the server queued only
  the valid output branches. We refuse that too, since the result would be a
  partial run; ``prompt_id`` goes into ``details`` so the caller can dequeue it.
"""

from __future__ import annotations

import re
from typing import Any

from sftui.comfy.httpio import one_line
from sftui.errors import PromptRejected

_NODE_IN_DETAILS = re.compile(r"Node ID '#([^']+)'")
_MESSAGE_LIMIT = 400


def prompt_rejected(body: dict[str, Any], prompt: dict[str, Any], *, status: int) -> PromptRejected:
    node_errors = body.get("node_errors") if isinstance(body.get("node_errors"), dict) else {}
    partial = status < 300 and isinstance(body.get("prompt_id"), str)
    lead = "ComfyUI rejected part of the prompt" if partial else "ComfyUI rejected the prompt"
    reason = _node_errors_reason(node_errors, prompt) if node_errors else _error_reason(body.get("error"), prompt)
    if partial:
        reason += f" (the valid branches were queued as prompt {body['prompt_id']})"
    details: dict[str, Any] = {"status": status, "node_errors": node_errors}
    if "error" in body:
        details["error"] = body["error"]
    if partial:
        details["prompt_id"] = body["prompt_id"]
        details["number"] = body.get("number")
    return PromptRejected(one_line(f"{lead}: {reason}", _MESSAGE_LIMIT), details=details)


def _node_errors_reason(node_errors: dict[str, Any], prompt: dict[str, Any]) -> str:
    node_id, entry = next(iter(node_errors.items()))
    entry = entry if isinstance(entry, dict) else {}
    errors = [e for e in entry.get("errors") or [] if isinstance(e, dict)]
    class_type = entry.get("class_type") or _class_type(prompt, node_id)
    where = _node_label(node_id, class_type)
    if not errors:
        text = where
    else:
        first = errors[0]
        extra = first.get("extra_info") if isinstance(first.get("extra_info"), dict) else {}
        input_name = extra.get("input_name")
        if input_name:
            where += f", input '{input_name}'"
        text = f"{where}: {_message_with_details(first, skip=input_name)}"
    more = sum(max(1, len(e.get("errors") or [])) if isinstance(e, dict) else 1 for e in node_errors.values()) - 1
    return text + (f" (and {more} more error{'s' if more != 1 else ''})" if more > 0 else "")


def _error_reason(error: Any, prompt: dict[str, Any]) -> str:
    if isinstance(error, str):
        return error or "no reason given"
    if not isinstance(error, dict):
        return "no reason given"
    details = str(error.get("details") or "")
    match = _NODE_IN_DETAILS.search(details)
    message = str(error.get("message") or error.get("type") or "no reason given")
    if match:
        node_id = match.group(1)
        return f"{_node_label(node_id, _class_type(prompt, node_id))}: {message}"
    return _message_with_details(error, skip=None)


def _message_with_details(error: dict[str, Any], *, skip: Any) -> str:
    message = str(error.get("message") or error.get("type") or "invalid")
    details = str(error.get("details") or "")
    if details and details not in (message, skip):
        return f"{message}: {details}"
    return message


def _class_type(prompt: dict[str, Any], node_id: str) -> str | None:
    node = prompt.get(node_id) if isinstance(prompt, dict) else None
    class_type = node.get("class_type") if isinstance(node, dict) else None
    return class_type if isinstance(class_type, str) else None


def _node_label(node_id: str, class_type: str | None) -> str:
    return f"node {node_id}" + (f" ({class_type})" if class_type else "")
