"""The Textual TUI.

Textual draws a frame only when something changed, at most ``TEXTUAL_FPS`` times a
second (60 by default): a change waits for the next tick, up to 17 ms. A progress
stream changes one line per event, so sftui raises the cap to ``FRAMES_PER_SECOND``:
each change is drawn about as soon as it happens, and a busy loop still coalesces
changes into fewer frames. ``TEXTUAL_FPS`` in the environment wins (e.g. a lower value
over a slow SSH link). Textual reads it once, when its screen module is imported, so
it is set here, before any of sftui's UI modules import Textual.
"""

import os

FRAMES_PER_SECOND = 500

os.environ.setdefault("TEXTUAL_FPS", str(FRAMES_PER_SECOND))
