"""``POST /prompt`` validation, mirroring ComfyUI's ``validate_prompt``/``validate_inputs``.

The checks run the same Python operations on the same JSON as ComfyUI does, so
malformed prompts fail the same way: a ``KeyError``/``IndexError`` becomes an
``exception_during_inner_validation`` entry, and a ``TypeError`` escaping to the
handler becomes aiohttp's plain-text 500 (pitfall 9). Accepted values are
converted in place (``"42"`` -> ``42``), as the stored prompt shows on the real server.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any, Callable

from sftui.comfy.simulator.catalog import Catalog

log = logging.getLogger(__name__)

Result = tuple[bool, list[dict[str, Any]], Any]
CustomCheck = Callable[[str, Any], "bool | str"]

_CONVERSIONS: dict[str, Callable[[Any], Any]] = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}
_LONG_COMBO = 20


def type_name(exc: BaseException) -> str:
    cls = type(exc)
    return cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"


def types_match(received: Any, expected: Any) -> bool:
    """ComfyUI's ``validate_node_input``; ``*`` stands for its AnyType, equal to everything."""
    if received == expected or received == "*" or expected == "*":
        return True
    if not isinstance(received, str) or not isinstance(expected, str):
        return False
    return bool({t.strip() for t in received.split(",")} & {t.strip() for t in expected.split(",")})


class PromptValidator:
    def __init__(self, catalog: Catalog, input_dir: Path) -> None:
        self.catalog = catalog
        self.input_dir = input_dir
        # Custom VALIDATE_INPUTS of core nodes: input names they take over from the generic checks.
        self.custom: dict[str, tuple[tuple[str, ...], CustomCheck]] = {
            "LoadImage": (("image",), self._image_exists),
            "LoadImageMask": (("image",), self._image_exists),
        }

    def _image_exists(self, name: str, value: Any) -> bool | str:
        path = self.input_dir / str(value).removesuffix(" [input]")
        if isinstance(value, str) and value and ".." not in value and path.is_file():
            return True
        return f"Invalid image file: {value}"

    def validate_prompt(self, prompt: Any, partial: list[str] | None = None) -> tuple[bool, dict[str, Any] | None, list[str], dict[str, Any]]:
        outputs: list[str] = []
        for node_id in prompt:
            if "class_type" not in prompt[node_id]:
                return False, _error("invalid_prompt", "Cannot execute because a node is missing the class_type property.", f"Node ID '#{node_id}'"), [], {}
            class_type = prompt[node_id]["class_type"]
            if self.catalog.get(class_type) is None:
                return False, _error("invalid_prompt", f"Cannot execute because node {class_type} does not exist.", f"Node ID '#{node_id}'"), [], {}
            if self.catalog.is_output(class_type) and (partial is None or node_id in partial) and node_id not in outputs:
                outputs.append(node_id)
        if not outputs:
            return False, _error("prompt_no_outputs", "Prompt has no outputs", ""), [], {}

        good: list[str] = []
        failures: list[tuple[str, list[dict[str, Any]]]] = []
        node_errors: dict[str, Any] = {}
        validated: dict[Any, Result] = {}
        for output in outputs:
            try:
                valid, reasons, _ = self.validate_inputs(prompt, output, validated)
            except Exception as exc:
                valid = False
                reasons = [{
                    "type": "exception_during_validation",
                    "message": "Exception when validating node",
                    "details": str(exc),
                    "extra_info": {"exception_type": type_name(exc), "traceback": traceback.format_tb(exc.__traceback__)},
                }]
                validated[output] = (False, reasons, output)
            if valid is True:
                good.append(output)
                continue
            failures.append((output, reasons))
            # Like ComfyUI, every failing node seen so far gets this output as a dependant.
            for node_id, (ok, node_reasons, _) in validated.items():
                if ok is not True and node_reasons:
                    entry = node_errors.setdefault(node_id, {"errors": node_reasons, "dependent_outputs": [], "class_type": prompt[node_id]["class_type"]})
                    entry["dependent_outputs"].append(output)
            log.info("simulator: output %s of the prompt failed validation", output)
        if not good:
            details = "\n".join(f"{r['message']}: {r['details']}" for _, reasons in failures for r in reasons)
            return False, _error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details), [], node_errors
        return True, None, good, node_errors

    def validate_inputs(self, prompt: Any, node_id: Any, validated: dict[Any, Result]) -> Result:
        if node_id in validated:
            return validated[node_id]
        inputs = prompt[node_id]["inputs"]
        class_type = prompt[node_id]["class_type"]
        declared = self.catalog.input_types(class_type)
        custom_names, custom_check = self.custom.get(class_type, ((), None))
        errors: list[dict[str, Any]] = []
        valid = True
        names = list(declared.get("required", {})) + [n for n in declared.get("optional", {}) if n not in declared.get("required", {})]
        for name in names:
            input_type, category, extra = self.catalog.input_info(class_type, name)
            if name not in inputs:
                if category == "required":
                    errors.append({"type": "required_input_missing", "message": "Required input is missing", "details": f"{name}", "extra_info": {"input_name": name}})
                continue
            info = [input_type, extra]
            value = inputs[name]
            if isinstance(value, list):
                outcome = self._check_link(prompt, name, value, input_type, info, validated)
                if isinstance(outcome, dict):
                    errors.append(outcome)
                elif outcome is False:
                    valid = False
                continue
            error = self._check_value(inputs, name, value, input_type, extra, info, name in custom_names)
            if error is not None:
                errors.append(error)
        if custom_check is not None:
            for name in custom_names:
                outcome = custom_check(name, inputs.get(name))
                if outcome is not True:
                    details = f"{name}" + (f" - {outcome}" if outcome is not False else "")
                    errors.append({"type": "custom_validation_failed", "message": "Custom validation failed for node", "details": details, "extra_info": {"input_name": name}})
        result: Result = (False, errors, node_id) if errors or valid is not True else (True, [], node_id)
        validated[node_id] = result
        return result

    def _check_link(self, prompt: Any, name: str, value: list[Any], input_type: Any, info: list[Any], validated: dict[Any, Result]) -> dict[str, Any] | bool:
        """An error dict, False if an upstream node failed, True if fine."""
        if len(value) != 2:
            return {"type": "bad_linked_input", "message": "Bad linked input, must be a length-2 list of [node_id, slot_index]", "details": f"{name}", "extra_info": {"input_name": name, "input_config": info, "received_value": value}}
        source = value[0]
        source_class = prompt[source]["class_type"]
        received = self.catalog.output_types(source_class)[value[1]]
        if not types_match(received, input_type):
            return {
                "type": "return_type_mismatch",
                "message": "Return type mismatch between linked nodes",
                "details": f"{name}, received_type({received}) mismatch input_type({input_type})",
                "extra_info": {"input_name": name, "input_config": info, "received_type": received, "linked_node": value},
            }
        try:
            upstream = self.validate_inputs(prompt, source, validated)
        except Exception as exc:
            validated[source] = (False, [{
                "type": "exception_during_inner_validation",
                "message": "Exception when validating inner node",
                "details": str(exc),
                "extra_info": {
                    "input_name": name,
                    "input_config": info,
                    "exception_message": str(exc),
                    "exception_type": type_name(exc),
                    "traceback": traceback.format_tb(exc.__traceback__),
                    "linked_node": value,
                },
            }], source)
            return False
        return upstream[0] is not False

    def _check_value(self, inputs: dict[str, Any], name: str, value: Any, input_type: Any, extra: dict[str, Any], info: list[Any], custom: bool) -> dict[str, Any] | None:
        try:
            if isinstance(value, dict) and "__value__" in value:
                value = inputs[name] = value["__value__"]
            convert = _CONVERSIONS.get(input_type) if isinstance(input_type, str) else None
            if convert is not None:
                value = inputs[name] = convert(value)
        except Exception as exc:
            return {
                "type": "invalid_input_type",
                "message": f"Failed to convert an input value to a {input_type} value",
                "details": f"{name}, {value}, {exc}",
                "extra_info": {"input_name": name, "input_config": info, "received_value": value, "exception_message": str(exc)},
            }
        if custom:
            return None
        if "min" in extra and value < extra["min"]:
            return _range_error("value_smaller_than_min", f"Value {value} smaller than min of {extra['min']}", name, info, value)
        if "max" in extra and value > extra["max"]:
            return _range_error("value_bigger_than_max", f"Value {value} bigger than max of {extra['max']}", name, info, value)
        if isinstance(input_type, list) and value not in input_type:
            long = len(input_type) > _LONG_COMBO
            listed = f"(list of length {len(input_type)})" if long else str(input_type)
            return {
                "type": "value_not_in_list",
                "message": "Value not in list",
                "details": f"{name}: '{value}' not in {listed}",
                "extra_info": {"input_name": name, "input_config": None if long else info, "received_value": value},
            }
        return None


def _error(kind: str, message: str, details: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": details, "extra_info": {}}


def _range_error(kind: str, message: str, name: str, info: list[Any], value: Any) -> dict[str, Any]:
    return {"type": kind, "message": message, "details": f"{name}", "extra_info": {"input_name": name, "input_config": info, "received_value": value}}
