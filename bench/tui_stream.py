"""Streaming measures: WebSocket frame -> progress widget on screen, and key latency meanwhile.

``python -m bench.tui_stream --db D --cache C --url U`` (the simulator runs in another
process) prints one JSON line.

Clocks, all ``perf_counter`` in this process:

- arrival: ``websockets``' assembler receiving a ``progress`` text frame (wrapped at
  run time), i.e. the moment the frame's bytes were parsed off the socket;
- shown: the first frame (``FrameClock``) at which the running card's progress line
  shows that event's step or a later one (``GenerationProgress.step``, drawn as
  "step 1234/4000"): every progress event changes what is on screen. Events coalesced
  away (``can_replace``) count as shown when a later step is;
- keys: a character sent through the driver while the stream runs, until the first
  frame whose prompt text has it.

With ``--send-log`` (written by ``bench.sim_server``), the same is computed from the
moment the server wrote each frame (``sent_to_widget_ms``): when the client's loop is
saturated, frames wait in the socket before "arriving", which only this clock sees.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bench.harness import SIZE, FrameClock, main_screen, make_app, now, send_key, wait_until

WARMUP_EVENTS = 40


def _hook_frames(arrivals: list[tuple[float, int, int]]) -> None:
    from websockets.asyncio.messages import Assembler
    from websockets.frames import Opcode

    original = Assembler.put

    def put(self: Any, frame: Any) -> None:
        at = now()
        if frame.opcode is Opcode.TEXT and b'"progress"' in frame.data:
            data = json.loads(frame.data)
            if data.get("type") == "progress":
                arrivals.append((at, int(data["data"]["value"]), int(data["data"]["max"])))
        original(self, frame)

    Assembler.put = put


async def measure(db: Path, cache: Path, url: str, steps: int, seconds: float, key_every: float, send_log: Path | None = None, images: str = "halfcell") -> dict[str, Any]:
    arrivals: list[tuple[float, int, int]] = []
    _hook_frames(arrivals)
    app = make_app(db, cache, server_url=url, images=images)
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app)
        screen = await main_screen(pilot)
        prompt = screen.prompt_area.prompt
        state: dict[str, Any] = {"generation": None}

        def probe() -> tuple[float | None, int]:
            # Looked up at every frame: a card recomposes (new progress child) when its row changes.
            card = None if state["generation"] is None else screen.timeline.card_for(state["generation"])
            widget = None if card is None else card.progress
            # The step the line shows ("step 1234/4200"): every progress event changes it.
            step = None if widget is None else widget.step
            return (None if step is None else step[0]), len(prompt.text)

        clock.probe = probe
        clock.install()
        screen._submit("a lighthouse in a storm, oil painting", None, {"steps": steps, "width": 512, "height": 512}, 1, None)
        card = await wait_until(lambda: next((c for c in screen.timeline.cards if c.generation.status == "running" and c.progress), None), timeout=30, what="the running card")
        state["generation"] = card.generation.id
        await wait_until(lambda: len(arrivals) > WARMUP_EVENTS, timeout=30, what="progress events")
        prompt.focus()
        prompt.text = ""
        await pilot.pause(0.2)
        start = now()
        keys: list[tuple[float, int]] = []
        typed = 0
        while now() - start < seconds:
            typed += 1
            keys.append((send_key(app, "abcdefghijklmnopqrstuvwxyz"[typed % 26]), typed))
            await asyncio.sleep(key_every)
        end = now()
        await pilot.pause(0.3)
        window = [a for a in arrivals if start <= a[0] <= end]
        screen.action_cancel()
        await pilot.pause(0.5)
    results = _results(clock, window, keys, end - start)
    if send_log is not None and send_log.is_file():
        sent = [tuple(json.loads(line)) for line in send_log.read_text().splitlines() if line.strip()]
        sent_window = [(at, int(v), int(m)) for at, v, m in sent if start <= at <= end]
        results["sent_to_widget_ms"] = _latencies(clock, sent_window)
        results["sent_per_s"] = len(sent_window) / (end - start)
    return results


def _latencies(clock: FrameClock, window: list[tuple[float, int, int]]) -> list[float]:
    """Milliseconds from each event to the first frame showing its step (or a later one)."""
    out: list[float] = []
    for at, value, _maximum in window:
        shown = clock.first_after(at, lambda probe, v=value: probe[0] is not None and probe[0] >= v)
        if shown is not None:
            out.append((shown - at) * 1000)
    return out


def _results(clock: FrameClock, window: list[tuple[float, int, int]], keys: list[tuple[float, int]], seconds: float) -> dict[str, Any]:
    events = _latencies(clock, window)
    presses = []
    for at, length in keys:
        shown = clock.first_after(at, lambda probe, n=length: probe[1] >= n)
        if shown is not None:
            presses.append((shown - at) * 1000)
    frames = [at for at, _ in clock.frames if window and window[0][0] <= at <= window[-1][0]]
    return {
        "event_to_widget_ms": events,
        "key_latency_ms": presses,
        "events_in_window": len(window),
        "events_per_s": len(window) / seconds if seconds else None,
        "keys_sent": len(keys),
        "frames_per_s": len(frames) / seconds if seconds else None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--url", required=True)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--key-every", type=float, default=0.1)
    parser.add_argument("--send-log", type=Path)
    parser.add_argument("--images", default="halfcell", help="the TUI's --images mode (off: previews are not decoded)")
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.db, args.cache, args.url, args.steps, args.seconds, args.key_every, args.send_log, args.images))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
