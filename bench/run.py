"""``make bench``: every measure of issue 5, headless; one JSON object on the last line.

Also written to ``bench-results.json`` (``--out``). Each TUI measure runs in its own
process (``bench.tui_history``, ``bench.tui_stream``, ``bench.first_paint``), and the
simulator in another, so no measure pays for another's imports, memory or GIL.
A measure that cannot run is ``null`` with the reason under ``notes``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

from bench.stats import median, p99, summary

REPO = Path(__file__).resolve().parents[1]
TARGET_EVENTS_PER_S = 200


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


#: The terminal the TUI measures pretend to draw for: a current truecolor terminal. Without it
#: (TERM=xterm, no COLORTERM on this machine) every frame is also mapped to 16 colours, a cost
#: (~8 ms per image frame) that users of today's terminals do not pay.
TERMINAL_ENV = {"TERM": "xterm-256color", "COLORTERM": "truecolor"}


def child(module: str, *args: str, timeout: float = 900) -> dict[str, Any]:
    """Run ``python -m module args`` from the repo; its last stdout line is JSON."""
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO,
                          env={**os.environ, **TERMINAL_ENV})
    if done.returncode != 0:
        raise RuntimeError(f"{module} failed ({done.returncode}): {done.stderr.strip()[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def isolated_env(folder: Path) -> dict[str, str]:
    """XDG dirs inside ``folder``: bench runs never touch the user's config, data, log or cache."""
    return {var: str(folder / sub) for var, sub in (("XDG_CONFIG_HOME", "config"), ("XDG_DATA_HOME", "data"), ("XDG_CACHE_HOME", "cache"))}


def sftui_command() -> list[str]:
    script = Path(sys.executable).with_name("sftui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "sftui"]


# -- measures -------------------------------------------------------------------------


def cli_help(runs: int) -> dict[str, Any]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*sftui_command(), "--help"], capture_output=True, check=True, timeout=60)
        samples.append((time.perf_counter() - started) * 1000)
    return {"cli_help_ms": median(samples), "cli_help_samples_ms": samples}


def first_paint(db: Path, runs: int) -> dict[str, Any]:
    # A server that accepts connections and never answers: no network call returns before the frame.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    samples = []
    try:
        with tempfile.TemporaryDirectory(prefix="sftui-bench-paint-") as tmp:
            env = {**os.environ, **isolated_env(Path(tmp))}
            for _ in range(runs):
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "bench.first_paint", "--db", str(db), "--server", url],
                                      capture_output=True, text=True, timeout=120, cwd=REPO, env=env)
                if done.returncode != 0:
                    raise RuntimeError(f"first paint run failed: {done.stderr[-800:]}")
                marks = json.loads(done.stdout.strip().splitlines()[-1])
                samples.append((marks["main_frame"] - started) * 1000)
    finally:
        silent.close()
    return {"tui_first_paint_ms": median(samples), "tui_first_paint_samples_ms": samples}


def history(dataset: Any, runs: int, images: str) -> dict[str, Any]:
    common = ["--db", str(dataset.db_path), "--cache", str(dataset.cache_dir), "--sessions", json.dumps({str(k): v for k, v in dataset.sessions.items()}), "--images", images]
    opened = child("bench.tui_history", "open", *common, "--runs", str(runs))
    samples = opened["open_session_ms"]
    out: dict[str, Any] = {"open_session_ms": {size: median(values) for size, values in samples.items()}, "open_session_samples_ms": samples}
    out["open_ratio_100k_vs_10"] = out["open_session_ms"]["100000"] / out["open_session_ms"]["10"]
    out["open_session_steps_median_ms"] = {size: _median_steps(steps) for size, steps in opened["open_steps"].items()}
    older = child("bench.tui_history", "older", *common, "--runs", str(runs), "--size", "100000")
    out["older_page_ms"] = median(older["older_page_ms"])
    out["older_page_samples_ms"] = older["older_page_ms"]
    out["older_page_steps_median_ms"] = _median_steps(older["older_steps"])
    rss = {size: child("bench.tui_history", "rss", *common, "--size", size) for size in ("10", "100000")}
    out["rss_mb"] = {size: result["rss_mb"] for size, result in rss.items()}
    out["rss_ratio_100k_vs_10"] = out["rss_mb"]["100000"] / out["rss_mb"]["10"]
    return out


def sidebar(root: Path, runs: int) -> dict[str, Any]:
    """The session list in a database of 10,000 sessions (see bench/tui_sidebar.py)."""
    from bench.dataset import ensure_many_sessions

    many = ensure_many_sessions(root, log=log)
    measured = child("bench.tui_sidebar", "--db", str(many.db_path), "--cache", str(many.cache_dir), "--sessions", json.dumps(many.sessions),
                     "--runs", str(runs))
    out = {key: median(measured[key]) for key in ("switch_ms", "reload_ms", "next_page_ms")}
    out.update(samples_ms={key: measured[key] for key in ("switch_ms", "reload_ms", "next_page_ms")},
               sessions=measured["sessions"], first_page=measured["first_page"], loaded_after=measured["loaded_after"])
    if many.seed_seconds is not None:
        out["seed_seconds"] = many.seed_seconds
    return {"sidebar_10k_sessions": out}


def _median_steps(runs: list[dict[str, float]]) -> dict[str, float]:
    keys = sorted({key for run in runs for key in run}, key=lambda k: median([r[k] for r in runs if k in r]))
    return {key: round(median([run[key] for run in runs if key in run]), 1) for key in keys}


def calibrate_step_delay(seconds: float = 2.5) -> tuple[float, float]:
    """The simulator's step delay that gives about 200 progress frames a second here.

    Each simulated step also sends progress_state and a preview, so ``step_delay=0.005``
    alone gives fewer than 200; this measures the per-step overhead with a bare WebSocket
    client.
    """
    from bench.stream_rate import frames_per_second

    probe = 0.004
    rate = frames_per_second(probe, seconds)
    overhead = max(0.0, 1 / rate - probe)
    delay = max(0.0, 1 / TARGET_EVENTS_PER_S - overhead)
    return delay, frames_per_second(delay, seconds)


def stream(seconds: float, images: str, windows: int = 3) -> dict[str, Any]:
    """``windows`` streaming windows, each a fresh TUI process against a fresh simulator.

    The figures pool every window's events; ``per_window`` keeps each window's own median
    and p99, so a window that differs (a busy moment of the machine) shows.
    """
    from bench.sim_server import SimServer

    delay, bare_rate = calibrate_step_delay()
    results: list[dict[str, Any]] = []
    for _ in range(max(1, windows)):
        with tempfile.TemporaryDirectory(prefix="sftui-bench-stream-") as tmp:
            db = Path(tmp) / "data" / "sftui.db"
            subprocess.run([*sftui_command(), "dev", "seed", "--db", str(db), "--sessions", "1", "--generations", "10", "--json"],
                           capture_output=True, check=True, timeout=120, env={**os.environ, **isolated_env(Path(tmp))})
            send_log = Path(tmp) / "sent.jsonl"
            with SimServer(step_delay=delay, send_log=send_log) as sim:
                steps = int((seconds + 6) * TARGET_EVENTS_PER_S * 1.5)
                results.append(child("bench.tui_stream", "--db", str(db), "--cache", str(Path(tmp) / "cache"), "--url", sim.url,
                                     "--steps", str(steps), "--seconds", str(seconds), "--send-log", str(send_log), "--images", images))

    def pooled(key: str) -> list[float]:
        return [value for result in results for value in result.get(key) or []]

    def mean(key: str) -> float:
        return sum(result.get(key) or 0 for result in results) / len(results)

    return {
        "event_to_widget_ms": summary(pooled("event_to_widget_ms")),
        "key_latency_ms_during_stream": summary(pooled("key_latency_ms")),
        "sent_to_widget_ms": summary(pooled("sent_to_widget_ms")),
        "stream": {
            "windows": len(results),
            "window_seconds": seconds,
            "per_window": [
                {key: {k: v for k, v in summary(result[key]).items() if k in ("median", "p99")} for key in ("event_to_widget_ms", "key_latency_ms")}
                for result in results
            ],
            "simulator_step_delay_ms": round(delay * 1000, 3),
            "simulator_rate_bare_client_per_s": round(bare_rate, 1),
            "events_received_per_s": round(mean("events_per_s"), 1),
            "events_sent_per_s": round(mean("sent_per_s"), 1),
            "frames_per_s": round(mean("frames_per_s"), 1),
            "events_measured": len(pooled("event_to_widget_ms")),
            "keys_sent": sum(result["keys_sent"] for result in results),
            "keys_measured": len(pooled("key_latency_ms")),
        },
    }


def overheads(runs: int, comfy: Path | None, cache_root: Path) -> dict[str, Any]:
    """sftui as installed (compiled bytecode) and from source, and comfy-cli, taking turns (see bench/overhead.py).

    ``sftui_10k_sessions`` is the installed sftui on a copy of the 10,000-session database
    (files included: the start-up sweep lists them).
    """
    from bench import import_floor, overhead
    from bench.dataset import ensure_many_sessions
    from bench.sim_server import SimServer
    from sftui.workflows.defaults import default_workflow

    out: dict[str, Any] = {}
    many = ensure_many_sessions(cache_root, log=log)
    with SimServer(step_delay=0.005) as sim, tempfile.TemporaryDirectory(prefix="sftui-bench-gen-") as tmp:
        folder = Path(tmp)
        env = isolated_env(folder)
        shutil.copytree(many.db_path.parent, folder / "many-data", ignore=shutil.ignore_patterns("leases"))
        installed = {**env, **overhead.sftui_package(folder / "installed")}
        # Each variant has its own data folder: a start-up sweep removes session folders its database does not know.
        tools = {
            "sftui": (overhead.sftui_command(sim.url, folder / "installed-data" / "sftui.db"), installed),
            "sftui_source": (overhead.sftui_command(sim.url, folder / "source-data" / "sftui.db"),
                             {**env, **overhead.sftui_package(folder / "source", compiled=False)}),
            "sftui_10k_sessions": (overhead.sftui_command(sim.url, folder / "many-data" / "sftui.db"), installed),
        }
        if comfy is not None:
            tools["comfy_cli"] = (overhead.comfy_cli_command(comfy, sim.url), {**env, "HOME": tmp})
        measured = overhead.measure_interleaved(sim.url, tools, default_workflow(), runs)
        ours, source = measured["sftui"], measured["sftui_source"]
        out["generate_overhead_ms"] = ours["overhead_ms"]
        out["generate"] = {
            "wall_ms": ours["wall_ms"], "samples_ms": ours["samples_ms"], "bytecode": "compiled, as installed",
            "from_source": {"overhead_ms": source["overhead_ms"], "wall_ms": source["wall_ms"], "samples_ms": source["samples_ms"]},
            # What of the overhead is the libraries' import time (bench/import_floor.py).
            "import_floor": import_floor.measure(runs),
            "with_10k_sessions": {key: measured["sftui_10k_sessions"][key] for key in ("overhead_ms", "wall_ms", "samples_ms")},
        }
        if comfy is not None:
            theirs = measured["comfy_cli"]
            out["comfy_cli_overhead_ms"] = theirs["overhead_ms"]
            out["comfy_cli"] = {"wall_ms": theirs["wall_ms"], "samples_ms": theirs["samples_ms"], "version": _comfy_version(comfy)}
            out["generate_overhead_vs_comfy_cli"] = ours["overhead_ms"] / theirs["overhead_ms"]
            out["generate"]["from_source"]["vs_comfy_cli"] = source["overhead_ms"] / theirs["overhead_ms"]
    return out


def _comfy_version(comfy: Path) -> str | None:
    try:
        done = subprocess.run([str(comfy), "--version"], capture_output=True, text=True, timeout=60)
        return json.loads(done.stdout.strip().splitlines()[-1])["version"]
    except Exception:  # noqa: BLE001 - the version is decoration
        return None


def find_comfy_cli(given: str | None) -> Path | None:
    for candidate in (given, os.environ.get("SFTUI_BENCH_COMFY_CLI"), "/work/comfycli-venv/bin/comfy", shutil.which("comfy")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


# -- the run ----------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else platform.processor()
    import textual

    return {
        "cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
        "textual": textual.__version__, "commit": _commit(), "terminal_env": TERMINAL_ENV, "loadavg_start": os.getloadavg(),
    }


def _commit() -> str | None:
    """HEAD, with ``+dirty`` when ``sftui/`` has uncommitted changes (the code measured is not HEAD's)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "sftui", "styles"], capture_output=True, text=True, cwd=REPO, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{head}+dirty" if head and dirty else head or None


def run_step(results: dict[str, Any], notes: dict[str, str], keys: list[str], name: str, step: Callable[[], dict[str, Any]]) -> None:
    log(f"{name} …")
    started = time.perf_counter()
    try:
        results.update(step())
    except Exception as exc:  # noqa: BLE001 - one broken measure must not hide the others
        for key in keys:
            results.setdefault(key, None)
        notes[name] = f"{type(exc).__name__}: {exc}"[:2000]
        log(f"{name} failed: {notes[name][:300]}")
    log(f"{name} done in {time.perf_counter() - started:.1f}s")


def main(argv: list[str] | None = None) -> int:
    from bench.dataset import default_cache_root, ensure_dataset

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cache-dir", type=Path, default=None, help="where the seeded dataset is kept (default: $XDG_CACHE_HOME/sftui-bench)")
    parser.add_argument("--runs", type=int, default=7, help="repetitions of each TUI measure")
    parser.add_argument("--stream-seconds", type=float, default=8.0)
    parser.add_argument("--stream-windows", type=int, default=3, help="streaming windows (each a fresh TUI and simulator); their events are pooled")
    parser.add_argument("--images", default="halfcell", help="the TUI's --images mode during the TUI measures")
    parser.add_argument("--comfy-cli", help="path of comfy-cli's `comfy` (default: /work/comfycli-venv/bin/comfy, else PATH)")
    parser.add_argument("--with-real-comfy", action="store_true", help="also measure both tools against a real ComfyUI (see bench/real_comfy.py)")
    parser.add_argument("--only", nargs="*", help="run only these steps: help paint history sidebar stream generate real")
    parser.add_argument("--out", type=Path, default=REPO / "bench-results.json")
    args = parser.parse_args(argv)
    wanted = set(args.only or ["help", "paint", "history", "sidebar", "stream", "generate", "real"])

    results: dict[str, Any] = {"machine": machine()}
    notes: dict[str, str] = {}
    started = time.perf_counter()
    dataset = ensure_dataset(args.cache_dir or default_cache_root(), log=log)
    if dataset.seed_seconds is not None:
        results["dataset_seed_seconds"] = dataset.seed_seconds
    runs = max(1, args.runs)
    if "help" in wanted:
        run_step(results, notes, ["cli_help_ms"], "help", lambda: cli_help(20))
    if "paint" in wanted:
        run_step(results, notes, ["tui_first_paint_ms"], "paint", lambda: first_paint(dataset.db_path, runs))
    if "history" in wanted:
        run_step(results, notes, ["open_session_ms", "open_ratio_100k_vs_10", "older_page_ms", "rss_mb"], "history", lambda: history(dataset, runs, args.images))
    if "sidebar" in wanted:
        run_step(results, notes, ["sidebar_10k_sessions"], "sidebar", lambda: sidebar(args.cache_dir or default_cache_root(), runs))
    if "stream" in wanted:
        run_step(results, notes, ["event_to_widget_ms", "key_latency_ms_during_stream"], "stream", lambda: stream(args.stream_seconds, args.images, args.stream_windows))
    if "generate" in wanted:
        comfy = find_comfy_cli(args.comfy_cli)
        if comfy is None:
            notes["comfy_cli"] = "comfy-cli not found: pip install comfy-cli into a separate venv and pass --comfy-cli PATH"
            results["comfy_cli_overhead_ms"] = None
        run_step(results, notes, ["generate_overhead_ms"], "generate", lambda: overheads(runs, comfy, args.cache_dir or default_cache_root()))
    if args.with_real_comfy and "real" in wanted:
        from bench.real_comfy import measure_real

        run_step(results, notes, ["real_comfyui"], "real", lambda: {"real_comfyui": measure_real(runs, find_comfy_cli(args.comfy_cli), log)})
    results["machine"]["loadavg_end"] = os.getloadavg()
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    results["notes"] = notes
    text = json.dumps(_rounded(results))
    args.out.write_text(text + "\n")
    print(text, flush=True)
    return 0


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 2)
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_rounded(v) for v in value]
    return value


if __name__ == "__main__":
    sys.exit(main())
