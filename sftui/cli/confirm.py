"""Asking before a destructive command: on a terminal, y/N; elsewhere only ``--yes`` goes ahead."""

from __future__ import annotations

import sys

from sftui.cli.output import inert
from sftui.errors import NotConfirmed


def confirm(question: str, *, yes: bool, refused: str) -> None:
    """Return if the user agrees (or gave ``--yes``); else raise ``NotConfirmed(refused)``.

    Without a terminal to ask on (a script, a pipe), nothing is deleted unless ``--yes``
    says so: a script that forgot it must not take everything with it.
    """
    if yes:
        return
    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        raise NotConfirmed(f"{refused}: pass --yes to confirm (there is no terminal to ask on)")
    sys.stderr.write(f"{inert(question)} [y/N] ")
    sys.stderr.flush()
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        answer = ""
    if answer.strip().lower() not in ("y", "yes"):
        raise NotConfirmed(refused)
