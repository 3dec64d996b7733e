"""The simulator in its own process (its CPU never competes with the measured client's GIL).

``python -m bench.sim_server --step-delay S --out DIR`` prints the URL on one line and
serves until stdin closes. ``SimServer`` is the context manager that runs it.

``--send-log FILE`` appends ``[perf_counter, value, max]`` for every ``progress`` frame
the server has just written to a socket. ``perf_counter`` is CLOCK_MONOTONIC on Linux,
shared by every process, so the client can compare it with its own clock: the time a
frame spent in socket buffers while the client's event loop was busy shows up there.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path


class SimServer:
    def __init__(self, step_delay: float = 0.005, node_delay: float = 0.01, send_log: Path | None = None) -> None:
        self.step_delay = step_delay
        self.node_delay = node_delay
        self.send_log = send_log
        self.url = ""
        self._proc: subprocess.Popen[str] | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None

    def __enter__(self) -> SimServer:
        self._tmp = tempfile.TemporaryDirectory(prefix="sftui-bench-sim-")
        extra = ["--send-log", str(self.send_log)] if self.send_log else []
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "bench.sim_server", "--step-delay", str(self.step_delay), "--node-delay", str(self.node_delay), "--out", self._tmp.name, *extra],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline().strip()
        if not line.startswith("http://"):
            self.__exit__()
            raise RuntimeError(f"the simulator did not start (said {line!r})")
        self.url = line
        return self

    def __exit__(self, *exc: object) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _log_sends(path: Path) -> None:
    import json
    import time

    from sftui.comfy.simulator.hub import Hub

    original = Hub._deliver
    log = path.open("a", buffering=1)

    async def deliver(self, event: str, data, sid):  # type: ignore[no-untyped-def]
        await original(self, event, data, sid)
        if event == "progress" and isinstance(data, dict):
            log.write(json.dumps([time.perf_counter(), data.get("value"), data.get("max")]) + "\n")

    Hub._deliver = deliver


def main() -> int:
    from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

    parser = argparse.ArgumentParser()
    parser.add_argument("--step-delay", type=float, default=0.005)
    parser.add_argument("--node-delay", type=float, default=0.01)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--send-log", type=Path)
    args = parser.parse_args()
    if args.send_log:
        _log_sends(args.send_log)
    sim = SimulatorThread(SimulatorConfig(step_delay=args.step_delay, node_delay=args.node_delay, output_dir=args.out))
    print(sim.start(), flush=True)
    try:
        sys.stdin.read()  # until the parent closes it (or dies)
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
