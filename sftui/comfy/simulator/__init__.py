"""A simulated ComfyUI server (0.3.64) for tests, ``sftui demo-server`` and ``sftui --demo``.

It speaks the protocol recorded from a real server (see the reference
captures): same endpoints, status codes, frame order and pitfalls, with node
definitions from a shipped ``object_info`` and procedural pictures instead of
diffusion. Everything runs on one asyncio loop; ``SimulatorThread`` hosts it
for synchronous callers.
"""

from __future__ import annotations

from sftui.comfy.simulator.config import SimulatorConfig
from sftui.comfy.simulator.server import Simulator
from sftui.comfy.simulator.thread import SimulatorThread, run_server

__all__ = ["Simulator", "SimulatorConfig", "SimulatorThread", "run_server"]
