"""Simulated node implementations, looked up by class type."""

from __future__ import annotations

from sftui.comfy.simulator.nodes import images, outputs, sampling  # noqa: F401  (registration)
from sftui.comfy.simulator.nodes.base import REGISTRY, Interrupted, NodeContext, NodeFn, NodeResult, Services
from sftui.comfy.simulator.nodes.generic import run_generic


def implementation(class_type: str) -> NodeFn:
    return REGISTRY.get(class_type, run_generic)


__all__ = ["Interrupted", "NodeContext", "NodeResult", "Services", "implementation"]
