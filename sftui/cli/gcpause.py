"""``sftui generate``'s start-up without the cyclic garbage collector.

Start-up imports pydantic, httpx, websockets, peewee and most of sftui: some 200,000
objects that live until the process ends. Their allocation keeps triggering the
collector, which walks them again each time (~25 ms of a ``generate``, for nothing:
start-up makes next to no cyclic garbage). So the collector waits, from the moment
``sftui.cli.run`` starts parsing the command line, until the work proper begins
(``resume``, once the prompts are posted); then everything alive so far is frozen, out of its reach,
and it runs as usual for what comes after. ``restore`` puts the collector back as it
was, for callers that run commands in-process (tests).
"""

from __future__ import annotations

import gc

_paused = False
_frozen = False


def pause() -> None:
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def resume() -> None:
    global _paused, _frozen
    if _paused:
        gc.freeze()
        _frozen = True
        gc.enable()
        _paused = False


def restore() -> None:
    global _paused, _frozen
    if _paused:
        gc.enable()
        _paused = False
    if _frozen:
        gc.unfreeze()
        _frozen = False
