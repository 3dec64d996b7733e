"""The Textual TUI.

Textual draws a frame only when something changed, at most ``TEXTUAL_FPS`` times a
second (60 by default): a change waits for the next tick, up to 17 ms. A progress
stream changes one line per event, so sftui raises the cap to ``FRAMES_PER_SECOND``:
each change is drawn about as soon as it happens, and a busy loop still coalesces
changes into fewer frames. After a frame, Textual's update timer skips to the second
tick boundary, so the next frame can wait one to two periods: at 500 a second, a
progress event 4-5 ms after the last one (200 a second) often waited 2-3 ms; at 1000
it rarely waits at all. ``TEXTUAL_FPS`` in the environment wins (e.g. a lower value
over a slow SSH link). Textual reads it once, when its screen module is imported, so
it is set here, before any of sftui's UI modules import Textual.
"""

import os

FRAMES_PER_SECOND = 1000

os.environ.setdefault("TEXTUAL_FPS", str(FRAMES_PER_SECOND))
