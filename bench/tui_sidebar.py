"""The session list with 10,000 sessions, in one process; prints one JSON line.

Run by ``bench/run.py`` as ``python -m bench.tui_sidebar --db D --cache C --sessions JSON``.

- ``switch``: select the second most recent session, then the most recent, in turn (enter
  in the sidebar); stop as ``bench.tui_history`` does for ``open_session_ms``. Compare
  with ``open_session_ms["10"]``, taken in a database of five sessions.
- ``reload``: read the list again, as after every generation; from the call to the first
  frame after the list was rebuilt.
- ``next_page``: with the sidebar focused, press end: the cursor reaches the last loaded
  session and the next page is read; from the key to the first frame after the list took it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from bench.harness import SIZE, FrameClock, PageClock, main_screen, make_app, now, send_key, wait_until
from bench.tui_history import SETTLE, open_and_paint


def _clock_rebuilds(sidebar: Any) -> list[float]:
    """When the list was last refilled (a reload) or extended (a page): instance attributes only."""
    marks: list[float] = []
    rebuild, add_options = sidebar._rebuild, sidebar.add_options

    def timed_rebuild() -> None:
        rebuild()
        marks.append(now())

    def timed_add_options(options: Any) -> Any:
        result = add_options(options)
        marks.append(now())
        return result

    sidebar._rebuild = timed_rebuild
    sidebar.add_options = timed_add_options
    return marks


async def measure(db: Path, cache: Path, sessions: dict[str, str], runs: int) -> dict[str, Any]:
    app = make_app(db, cache)
    switch: list[float] = []
    reload: list[float] = []
    next_page: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app).install()
        screen = await main_screen(pilot)
        sidebar = screen.sidebar
        await wait_until(lambda: sidebar.sessions, what="the first page of sessions")
        first_page = len(sidebar.sessions)
        pages = PageClock(screen.timeline, app.backend)
        for run in range(runs):
            for key in ("second", "newest"):
                switch.append(await open_and_paint(pilot, screen, clock, pages, sessions[key]))
                await pilot.pause(SETTLE)
        rebuilt = _clock_rebuilds(sidebar)
        for _ in range(runs):
            started = now()
            sidebar.reload()
            done = await wait_until(lambda: next((at for at in rebuilt if at >= started), None), what="the reloaded list")
            reload.append((await clock.wait_frame_after(done) - started) * 1000)
            await pilot.pause(SETTLE)
        sidebar.focus()
        await pilot.pause(SETTLE)
        for _ in range(runs):
            loaded = len(sidebar.sessions)
            started = send_key(app, "end")
            await wait_until(lambda: len(sidebar.sessions) > loaded, what="the next page of sessions")
            done = next(at for at in rebuilt if at >= started)
            next_page.append((await clock.wait_frame_after(done) - started) * 1000)
            await pilot.pause(SETTLE)
        return {
            "switch_ms": switch,
            "reload_ms": reload,
            "next_page_ms": next_page,
            "sessions": sidebar.total,
            "first_page": first_page,
            "loaded_after": len(sidebar.sessions),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--sessions", required=True, help='JSON {"newest": id, "second": id}')
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(measure(args.db, args.cache, json.loads(args.sessions), args.runs))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
