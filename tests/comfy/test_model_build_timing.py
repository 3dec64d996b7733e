"""Which validators are built at import and which once a prompt is posted (see ``events.WHILE_RUNNING``).

What a deferred model validates is the same either way (the other tests in this folder
parse every captured frame and answer through them); this keeps the timing from
creeping back to before the post, where ``sftui generate`` users wait for it.
"""

from __future__ import annotations

import json
import subprocess
import sys

_SCRIPT = """
import asyncio, json
from sftui.comfy import events as ev, frames, models
from sftui.comfy.client import ComfyClient
from sftui.comfy.connection import ConnectionState
from sftui.comfy.tracker import ComfyWatcher

ALL = [ev.Status, ev.FeatureFlags, ConnectionState, *ev.EVENT_TYPES.values(), ev.NodeProgress, frames.PreviewImage,
       models.OutputRef, models.ExecutionErrorInfo, models.QueuedPrompt, models.QueueState, models.HistoryEntry, models.PromptOutcome]

def built():
    return sorted({m.__name__ for m in ALL if m.__pydantic_complete__})

async def track():
    watcher = ComfyWatcher(ComfyClient("http://127.0.0.1:9"))  # never entered: no socket
    watcher.track("a-prompt-id")

at_import = built()
asyncio.run(track())
print(json.dumps([at_import, built()]))
"""


def test_only_what_precedes_a_post_is_built_at_import_and_the_end_is_built_at_the_post() -> None:
    done = subprocess.run([sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    at_import, after_track = json.loads(done.stdout.strip().splitlines()[-1])
    # The socket's first frames and the connection state, before any prompt exists.
    assert at_import == ["ConnectionState", "FeatureFlags", "Status"]
    # Posted: what its end needs is ready before that end (a running prompt's events build on arrival).
    assert after_track == sorted([*at_import, "ExecutionSuccess", "OutputRef", "ExecutionErrorInfo", "HistoryEntry", "PromptOutcome"])


def test_a_deferred_event_validates_as_strictly_as_a_built_one() -> None:
    script = """
import json
from sftui.comfy import events as ev
assert not ev.Progress.__pydantic_complete__
good = ev.parse_text_frame(json.dumps({"type": "progress", "data": {"value": 3, "max": 20, "node": 5, "prompt_id": "p"}}))
bad = ev.parse_text_frame(json.dumps({"type": "progress", "data": {"value": "three", "max": 20}}))
print(json.dumps([type(good).__name__, good.node, good.value, bad]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == ["Progress", "5", 3.0, None]
