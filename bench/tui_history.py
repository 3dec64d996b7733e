"""History measures in one process: opening sessions, the next older page, peak RSS.

Run by ``bench/run.py`` as ``python -m bench.tui_history MODE ...``; prints one JSON line.

- ``open``: for each size, select the session in the sidebar (enter), stop the clock at
  the first frame of the first layout pass after the timeline has taken its newest page
  (an earlier frame can show new text in the old geometry). Sizes are interleaved,
  every run switches session, and the first round (cold SQLite cache) is kept.
- ``older``: on the 100,000 session, focus the top card and press ``up``: the timeline
  reads the next older page; stop as for ``open``, after it took that page.
- ``rss``: open one session and let its thumbnails load; report ``ru_maxrss``
  (a process per case, so the peaks of different cases never mix).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sqlite3
import sys
from pathlib import Path
from typing import Any

from bench.harness import SIZE, FrameClock, PageClock, main_screen, make_app, now, select_session, send_key, wait_until

SETTLE = 0.3


def _newest_ids(db_path: Path, session_id: str, limit: int) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        rows = conn.execute(
            "SELECT id FROM comfyui_generations WHERE session_id=? ORDER BY created_at DESC, id DESC LIMIT ?", (session_id, limit)
        ).fetchall()
    finally:
        conn.close()
    return [row[0] for row in reversed(rows)]


async def open_and_paint(pilot: Any, screen: Any, clock: FrameClock, pages: PageClock, session_id: str, steps: list | None = None) -> float:
    started = await select_session(pilot, screen, session_id)
    taken = await wait_until(lambda: pages.after(started, session_id, False), what="the newest page")
    painted = await clock.wait_laid_out_frame_after(taken)
    if steps is not None:
        steps.append(pages.breakdown(started, painted))
    return (painted - started) * 1000


def _check_newest_page(screen: Any, db_path: Path, session_id: str) -> None:
    """The bench must time the right thing: the newest page of that session is what is mounted."""
    shown = [card.generation.id for card in screen.timeline.row_cards]
    expected = _newest_ids(db_path, session_id, len(shown))
    if not shown or shown != expected:
        raise AssertionError(f"timeline shows {len(shown)} cards that are not the newest rows of {session_id}")


async def measure_open(db: Path, cache: Path, sessions: dict[str, str], runs: int, images: str = "halfcell") -> dict[str, Any]:
    app = make_app(db, cache, images=images)
    results: dict[str, list[float]] = {size: [] for size in sessions}
    steps: dict[str, list] = {size: [] for size in sessions}
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app).install()
        screen = await main_screen(pilot)
        pages = PageClock(screen.timeline, app.backend)
        order = list(sessions)
        for run in range(runs):
            for size in order[run % len(order):] + order[: run % len(order)]:
                results[size].append(await open_and_paint(pilot, screen, clock, pages, sessions[size], steps[size]))
                if run == 0:
                    _check_newest_page(screen, db, sessions[size])
                await pilot.pause(SETTLE)
    return {"open_session_ms": results, "open_steps": steps}


async def measure_older(db: Path, cache: Path, session_id: str, runs: int, images: str = "halfcell") -> dict[str, Any]:
    app = make_app(db, cache, images=images)
    samples: list[float] = []
    steps: list[dict[str, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app).install()
        screen = await main_screen(pilot)
        pages = PageClock(screen.timeline, app.backend)
        await open_and_paint(pilot, screen, clock, pages, session_id)
        timeline = screen.timeline
        for _ in range(runs):
            await pilot.pause(SETTLE)
            oldest = timeline.loaded_rows[0].id
            timeline.cards[0].focus()
            await pilot.pause(0.1)
            if timeline.window[0] != 0:
                raise AssertionError(f"the top card is not the oldest loaded row (window {timeline.window})")
            started = send_key(app, "up")
            taken = await wait_until(lambda: pages.after(started, session_id, True), what="the older page")
            painted = await clock.wait_laid_out_frame_after(taken)
            samples.append((painted - started) * 1000)
            steps.append(pages.breakdown(started, painted))
            # (The count of loaded rows need not grow: rows far below the window are forgotten.)
            if timeline.loaded_rows[0].id == oldest:
                raise AssertionError("pressing up at the top did not load an older page")
        mounted = len(timeline.cards)
    return {"older_page_ms": samples, "older_steps": steps, "mounted_cards_after": mounted, "loaded_rows_after": len(timeline.loaded_rows)}


async def measure_rss(db: Path, cache: Path, session_id: str, images: str = "halfcell") -> dict[str, Any]:
    app = make_app(db, cache, images=images)
    async with app.run_test(size=SIZE) as pilot:
        clock = FrameClock(app).install()
        screen = await main_screen(pilot)
        pages = PageClock(screen.timeline, app.backend)
        opened = await open_and_paint(pilot, screen, clock, pages, session_id)
        # Let the visible thumbnails decode: they are part of having the session open.
        await pilot.pause(1.5)
        cards = len(screen.timeline.cards)
    return {"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "open_ms": opened, "cards": cards}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["open", "older", "rss"])
    parser.add_argument("--db", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True)
    parser.add_argument("--sessions", required=True, help="JSON {size: session id}")
    parser.add_argument("--size", default="100000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--images", default="halfcell", help="the TUI's --images mode")
    args = parser.parse_args(argv)
    sessions = json.loads(args.sessions)
    if args.mode == "open":
        result = asyncio.run(measure_open(args.db, args.cache, sessions, args.runs, args.images))
    elif args.mode == "older":
        result = asyncio.run(measure_older(args.db, args.cache, sessions[args.size], args.runs, args.images))
    else:
        result = asyncio.run(measure_rss(args.db, args.cache, sessions[args.size], args.images))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
