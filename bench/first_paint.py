"""Child process for ``tui_first_paint_ms``: the real ``sftui`` start-up path, headless.

``python -m bench.first_paint --db D --server URL`` runs ``sftui.__main__.main`` (the
console script's code path) with ``SftuiApp.run`` forced headless at 120×40 and the
frame hook installed; at the first frame of the main screen it prints
``{"first_frame": t, "main_frame": t}`` (``perf_counter``, CLOCK_MONOTONIC, comparable
with the parent's clock) and exits. The parent started its clock just before spawning.
"""

from __future__ import annotations

import json
import sys
import time


def main() -> int:
    from textual.app import App

    from sftui.ui.app import SftuiApp

    marks: dict[str, float] = {}

    def run(self: SftuiApp, **_kwargs: object) -> None:
        from bench.harness import SIZE, FrameClock
        from sftui.ui.screens.main import MainScreen

        def probe() -> None:
            at = time.perf_counter()
            marks.setdefault("first_frame", at)
            if isinstance(self.screen, MainScreen) and "main_frame" not in marks:
                marks["main_frame"] = at
                self.exit()

        FrameClock(self, probe=probe).install()
        App.run(self, headless=True, size=SIZE)

    SftuiApp.run = run  # type: ignore[method-assign]
    from sftui.__main__ import main as sftui_main

    code = sftui_main(sys.argv[1:])
    print(json.dumps(marks))
    return code


if __name__ == "__main__":
    sys.exit(main())
