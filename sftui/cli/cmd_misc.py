"""locate, options, demo-server, and the TUI launcher."""

from __future__ import annotations

import argparse
import asyncio
import sys

from sftui import config as cfg
from sftui.cli.context import Context
from sftui.cli.output import emit_json, success


def locate(args: argparse.Namespace) -> int:
    ctx = Context(args)
    paths = {
        "config": str(cfg.config_path()),
        "database": str(ctx.db_path),
        "outputs": str(cfg.outputs_dir_for(ctx.db_path)),
        "log": str(cfg.log_path()),
        "cache": str(cfg.cache_dir()),
    }
    if ctx.as_json:
        emit_json(success(paths))
    else:
        width = max(map(len, paths))
        for key, value in paths.items():
            print(f"{key:<{width}}  {value}")
    return 0


def options(args: argparse.Namespace) -> int:
    from sftui.workflows.options import build_options

    ctx = Context(args)

    async def fetch() -> dict:
        async with ctx.client() as client:
            return await client.get_object_info()

    data = build_options(asyncio.run(fetch()))
    if ctx.as_json:
        emit_json(success(data))
        return 0
    for key in ("samplers", "schedulers", "checkpoints", "loras", "vaes"):
        values = data.get(key) or []
        print(f"{key}: {', '.join(map(str, values)) if values else '(none)'}")
    presets = data.get("dimensions", {}).get("sdxl_optimal", [])
    print("sizes: " + ", ".join(f"{p['width']}x{p['height']} ({p['label']})" for p in presets))
    return 0


def demo_server(args: argparse.Namespace) -> int:
    from sftui.comfy.simulator import SimulatorConfig, run_server

    print(f"sftui demo server (simulated ComfyUI) on http://{args.host}:{args.port}  — ctrl+c to stop", file=sys.stderr, flush=True)
    try:
        run_server(args.host, args.port, SimulatorConfig(step_delay=args.step_delay))
    except KeyboardInterrupt:
        pass
    return 0


def tui(args: argparse.Namespace) -> int:
    try:
        from sftui.ui.app import run_app
    except ImportError:
        # The TUI lands in a later change; until then say so plainly.
        print("sftui: the TUI is not available in this build; see `sftui --help` for the headless commands.", file=sys.stderr)
        return 2
    return run_app(args)
