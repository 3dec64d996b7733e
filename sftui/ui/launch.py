"""``sftui`` without a command: resolve the settings, start the demo if asked, run the app."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import Any

from sftui import config as cfg
from sftui.errors import SftuiError, UsageError
from sftui.ui.backend import UISettings

# The simulator's pace for people watching (tests use much faster steps).
DEMO_STEP_DELAY = 0.05


def build_settings(args: argparse.Namespace, config: cfg.Config | None = None) -> UISettings:
    """Command line over environment over the config file (see ``sftui.config``)."""
    import os

    config = config or cfg.load_config()
    server_url, server_configured = cfg.resolve_server(getattr(args, "server", None), config)
    db_arg = getattr(args, "db", None)
    images = getattr(args, "images", None) or config.images
    if images not in cfg.IMAGE_MODES:
        raise UsageError(f"--images must be one of {', '.join(cfg.IMAGE_MODES)}, not {images!r}")
    return UISettings(
        server_url=server_url,
        server_configured=server_configured,
        db_path=cfg.resolve_db_path(db_arg),
        db_configured=bool(db_arg or os.environ.get("SFTUI_DB")),
        demo=bool(getattr(args, "demo", False)),
        images=images,
        theme=config.theme,
        keymap=dict(config.keymap),
        headers=dict(config.headers),
        verify_tls=config.verify_tls,
        cache_dir=cfg.cache_dir(),
    )


class DemoServer:
    """The simulator in a daemon thread, for ``--demo`` and the connect screen's demo key."""

    def __init__(self, step_delay: float = DEMO_STEP_DELAY) -> None:
        from sftui.comfy.simulator import SimulatorConfig, SimulatorThread

        self._thread = SimulatorThread(SimulatorConfig(step_delay=step_delay), host="127.0.0.1", port=0)
        self.url = ""

    def start(self) -> str:
        self.url = self._thread.start()
        return self.url

    def stop(self) -> None:
        self._thread.stop()


def start_demo(settings: UISettings, *, step_delay: float = DEMO_STEP_DELAY) -> tuple[UISettings, DemoServer]:
    """Start the simulator on a free loopback port; the demo database unless one was chosen."""
    server = DemoServer(step_delay)
    url = server.start()
    db_path = settings.db_path if settings.db_configured else cfg.demo_db_path()
    demo = replace(settings, server_url=url, server_configured=True, demo=True, db_path=db_path)
    return demo, server


def run_app(args: argparse.Namespace) -> int:
    try:
        settings = build_settings(args)
    except SftuiError as exc:
        print(f"sftui: {exc.message}", file=sys.stderr)
        return exc.exit_code
    # textual-image asks the terminal what it supports; it must do so before Textual takes over.
    import textual_image.renderable  # noqa: F401

    from sftui.ui.app import SftuiApp

    demo: Any = None
    if settings.demo:
        try:
            settings, demo = start_demo(settings)
        except OSError as exc:
            print(f"sftui: the demo server could not start: {exc}", file=sys.stderr)
            return 1
    app = SftuiApp(settings, demo_server=demo)
    try:
        app.run()
    finally:
        if app.demo_server is not None:
            app.demo_server.stop()
    return app.return_code or 0
