"""Knobs of the simulated ComfyUI server."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class SimulatorConfig:
    step_delay: float = 0.05
    """Seconds per sampling step (tests use ~0.001-0.01)."""
    node_delay: float = 0.01
    """Seconds per non-sampling node."""
    history_delay: float = 0.0
    """Extra delay between ``execution_success`` and the history entry (the /history race)."""
    output_dir: Path | None = None
    """Where SaveImage writes; default: a fresh temporary directory removed on stop."""
    fail_class_types: frozenset[str] = frozenset()
    """Nodes of these classes raise at run time, giving ``execution_error``."""
