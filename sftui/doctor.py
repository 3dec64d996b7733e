"""``sftui doctor``: check the database, the server and the terminal, and say what to fix.

Every check is read-only: the database is opened ``mode=ro`` (never migrated or
created), outputs are counted, not swept, and the server only gets GETs and a
WebSocket that is closed at once. Terminal image support is guessed from the
environment (the way textual-image would choose sixel, the kitty graphics protocol
"tgp" or half-cell blocks), since querying the terminal needs its full attention.
The CLI formats the ``Check`` list; nothing here imports Textual.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "warn", "fail"]
#: An Origin no server shares, to see whether the server runs ComfyUI's Origin check.
PROBE_ORIGIN = "http://sftui-doctor.invalid"
_UNFINISHED = ("pending", "running")


@dataclass
class Check:
    name: str
    status: Status
    summary: str
    fix: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- config --------------------------------------------------------------------


def check_config() -> tuple[Check, Any]:
    """The config file's verdict, and the config to use (defaults when it is broken)."""
    from sftui.config import Config, config_path, load_config
    from sftui.errors import SftuiError

    path = config_path()
    try:
        config = load_config(path)
    except SftuiError as exc:
        return Check("config", "fail", exc.message, fix=f"fix or remove {path}; the checks below use the defaults", details={"path": str(path)}), Config()
    if not path.exists():
        return Check("config", "ok", f"no config file at {path}; using the defaults", details={"path": str(path)}), config
    return Check("config", "ok", f"{path} is valid", details={"path": str(path)}), config


# -- database ------------------------------------------------------------------


def check_database(db_path: Path) -> list[Check]:
    """Integrity, migrations applied vs known, and what a crash can leave behind."""
    if not db_path.exists():
        return [Check("database", "ok", f"no database at {db_path} yet; sftui creates it on first use", details={"path": str(db_path)})]
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        return [_unreadable(db_path, exc)]
    try:
        integrity, migrations = _integrity(con, db_path), _migrations(con)
        orphans = _orphans(con, db_path)
    except sqlite3.DatabaseError as exc:
        return [_unreadable(db_path, exc)]
    finally:
        con.close()
    if integrity.status == migrations.status == "ok" and orphans.status != "ok":
        _add_sweep_preview(orphans, db_path)
    return [integrity, migrations, orphans]


def _unreadable(db_path: Path, exc: Exception) -> Check:
    return Check(
        "database", "fail", f"cannot read {db_path}: {exc}",
        fix="if it is not an sftui database, pass the right one with --db; if it is damaged, restore a backup "
        "or try `sqlite3 FILE .recover | sqlite3 NEW.db`", details={"path": str(db_path)},
    )  # fmt: skip


def _integrity(con: sqlite3.Connection, db_path: Path) -> Check:
    problems = [row[0] for row in con.execute("PRAGMA integrity_check(20)")]
    if problems == ["ok"]:
        return Check("database", "ok", f"{db_path}: integrity ok", details={"path": str(db_path)})
    return Check(
        "database", "fail", f"{db_path}: integrity check found {len(problems)} problem(s), first: {problems[0]}",
        fix="stop every sftui process, copy the file aside, then `sqlite3 FILE .recover | sqlite3 NEW.db` and use --db NEW.db",
        details={"path": str(db_path), "problems": problems},
    )  # fmt: skip


def _migrations(con: sqlite3.Connection) -> Check:
    from sftui.db.migrations import MIGRATION_NAMES

    has_table = con.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").fetchone()
    applied = [row[0] for row in con.execute("SELECT name FROM schema_migrations")] if has_table else []
    unknown = sorted(set(applied) - set(MIGRATION_NAMES))
    pending = [name for name in MIGRATION_NAMES if name not in applied]
    details = {"applied": sorted(applied), "available": list(MIGRATION_NAMES), "pending": pending, "unknown": unknown}
    if unknown:
        return Check("migrations", "fail", f"the database has migration {unknown[-1]}, which this sftui does not know (written by a newer version)",
                     fix="upgrade sftui, or use another database with --db", details=details)  # fmt: skip
    if pending:
        return Check("migrations", "warn", f"{len(applied)} of {len(MIGRATION_NAMES)} migrations applied; pending: {', '.join(pending)}",
                     fix="nothing to do by hand: the next sftui command that opens the database applies them", details=details)  # fmt: skip
    return Check("migrations", "ok", f"all {len(MIGRATION_NAMES)} migrations applied", details=details)


def _orphans(con: sqlite3.Connection, db_path: Path) -> Check:
    from sftui.generation.lease import lease_alive

    data_dir = db_path.parent
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not {"comfyui_generations", "comfyui_sessions"} <= tables:
        return Check("orphans", "ok", "no generations yet")
    gens = {row[0]: row for row in con.execute("SELECT id, session_id, status, client_id, output_files FROM comfyui_generations")}
    sessions = {row[0] for row in con.execute("SELECT id FROM comfyui_sessions")}
    folders, parts = _output_folders(data_dir / "outputs", gens, sessions)
    stale = sum(1 for _, _, status, client, _ in gens.values() if status in _UNFINISHED and not lease_alive(data_dir, client))
    counts = {"orphan_folders": folders, "part_files": parts, "stale_unfinished": stale, "missing_files": _missing_files(data_dir, gens)}
    said = [
        f"{counts['orphan_folders']} output folder(s) without a generation or session row",
        f"{counts['part_files']} unfinished download(s) (.part)",
        f"{counts['stale_unfinished']} pending/running generation(s) whose process is gone",
        f"{counts['missing_files']} output file(s) listed but missing",
    ]
    found = [text for text, n in zip(said, counts.values()) if n]
    if not found:
        return Check("orphans", "ok", "no orphaned folders, partial downloads or abandoned generations", details=counts)
    fix = "the next `sftui generate` or TUI start reconciles abandoned generations with the server and removes orphans"
    if counts["missing_files"]:
        fix += "; missing files were deleted outside sftui and cannot be restored"
    return Check("orphans", "warn", "; ".join(found), fix=fix, details=counts)


def _add_sweep_preview(check: Check, db_path: Path) -> None:
    """List what the start-up sweep would remove (its own dry run), so the advice names files.

    Only for a sound, fully migrated database: opening it normally then writes nothing.
    """
    import peewee

    from sftui.db import close_database, open_database
    from sftui.errors import SftuiError
    from sftui.generation.sweep import sweep_orphans

    try:
        open_database(db_path)
        try:
            removed = sweep_orphans(db_path.parent, dry_run=True).removed
        finally:
            close_database()
    except (SftuiError, sqlite3.Error, peewee.PeeweeException, OSError):
        return  # the counts above still stand
    check.details["sweep_would_remove"] = removed
    if removed:
        shown = ", ".join(removed[:5]) + (f" and {len(removed) - 5} more" if len(removed) > 5 else "")
        check.fix = f"{check.fix}; the sweep will remove {shown}"


def _output_folders(outputs: Path, gens: dict[str, tuple], sessions: set[str]) -> tuple[int, int]:
    """(folders without a row, .part files) under ``outputs/<session>/<generation>/``."""
    if not outputs.is_dir():
        return 0, 0
    orphans = parts = 0
    for session_dir in outputs.iterdir():
        if not session_dir.is_dir() or session_dir.name not in sessions:
            orphans += 1
            parts += sum(1 for _ in session_dir.rglob("*.part")) if session_dir.is_dir() else 0
            continue
        for folder in session_dir.iterdir():
            row = gens.get(folder.name)
            if not folder.is_dir() or row is None or row[1] != session_dir.name:
                orphans += 1
            parts += sum(1 for _ in folder.glob("*.part")) if folder.is_dir() else 0
    return orphans, parts


def _missing_files(data_dir: Path, gens: dict[str, tuple]) -> int:
    import json

    missing = 0
    for _, _, status, _, output_files in gens.values():
        if status != "completed" or not output_files:
            continue
        try:
            entries = json.loads(output_files)
        except ValueError:
            continue
        missing += sum(1 for e in entries if isinstance(e, dict) and isinstance(e.get("path"), str) and not (data_dir / e["path"]).is_file())
    return missing


# -- server --------------------------------------------------------------------


async def check_server(url: str, *, headers: dict[str, str] | None = None, verify: bool = True, timeout: float = 5.0) -> list[Check]:
    """Reachable, which ComfyUI (or the simulator), the Origin check, and the WebSocket."""
    from sftui.comfy.client import ComfyClient
    from sftui.comfy.httpio import display_url
    from sftui.errors import ServerError, ServerUnreachable

    shown = display_url(url)
    async with ComfyClient(url, headers=headers, verify=verify, connect_timeout=timeout, read_timeout=timeout) as client:
        try:
            stats = await client.system_stats()
        except ServerUnreachable as exc:
            return [Check("server", "fail", exc.message, fix=_unreachable_fix(exc.message), details={"url": shown})]
        except ServerError as exc:
            return [Check("server", "fail", exc.message, fix=_refused_fix(exc.details.get("status")), details={"url": shown, **exc.details})]
        checks = [Check("server", "ok", f"ComfyUI answers at {shown}", details={"url": shown}), _version(stats)]
        checks.append(await _origin(client.base_url, headers, verify, timeout))
        checks.append(await _websocket(client))
    return checks


def _unreachable_fix(message: str) -> str:
    if "TLS" in message:
        return "trust the server's certificate (e.g. SSL_CERT_FILE=ca.pem), or set verify_tls = false in config.toml if you accept the risk"
    return "start ComfyUI (or `sftui demo-server`), or point sftui at it: --server URL, $SFTUI_SERVER or server = \"...\" in config.toml"


def _refused_fix(status: Any) -> str:
    if status == 401:
        return "the server (or its proxy) wants credentials: add them under [headers] in config.toml, e.g. Authorization = \"Bearer ...\""
    if status == 403:
        return "a proxy in front of ComfyUI sends an Origin header that differs from Host, which ComfyUI refuses: make it drop Origin"
    return "check the server's own log; the message above is what it answered"


def _version(stats: dict[str, Any]) -> Check:
    system = stats.get("system") if isinstance(stats.get("system"), dict) else {}
    version = system.get("comfyui_version")
    argv = system.get("argv") if isinstance(system.get("argv"), list) else []
    simulator = "sftui_simulator" in system or (argv[:1] == ["sftui-simulator"])
    details = {"comfyui_version": version, "simulator": simulator}
    if simulator:
        return Check("version", "ok", f"sftui's built-in simulator (speaks ComfyUI {version}; pictures are procedural, no models)", details=details)
    if not isinstance(version, str) or not version:
        return Check("version", "warn", "the server does not report comfyui_version in /system_stats: a very old ComfyUI, or not ComfyUI",
                     fix="update ComfyUI; sftui is tested against 0.3.64 and later", details=details)  # fmt: skip
    return Check("version", "ok", f"ComfyUI {version}", details=details)


async def _origin(base_url: str, headers: dict[str, str] | None, verify: bool, timeout: float) -> Check:
    import httpx

    probe = {**(headers or {}), "Origin": PROBE_ORIGIN}
    try:
        async with httpx.AsyncClient(base_url=base_url, headers=probe, verify=verify, timeout=timeout) as http:
            status = (await http.get("/system_stats")).status_code
    except httpx.HTTPError as exc:
        return Check("origin", "warn", f"the Origin probe failed: {type(exc).__name__}", details={"refused": None})
    if status == 403:
        return Check("origin", "ok", "the server refuses a foreign Origin (403), as ComfyUI on a loopback address does; "
                     "sftui sends none, and a proxy in front of it must not add one", details={"refused": True, "status": status})  # fmt: skip
    if 200 <= status < 300:
        return Check("origin", "ok", f"the server accepts a foreign Origin (HTTP {status}): it is not on a loopback address, "
                     "or a proxy strips Origin", details={"refused": False, "status": status})  # fmt: skip
    return Check("origin", "warn", f"the Origin probe got HTTP {status}, so whether the server checks Origin is unknown",
                 details={"refused": None, "status": status})  # fmt: skip


async def _websocket(client: Any) -> Check:
    from sftui.comfy.connection import describe_ws_error, open_socket

    try:
        ws = await open_socket(client)
    except Exception as exc:  # noqa: BLE001 - any failure is the finding
        return Check("websocket", "fail", f"the WebSocket /ws does not open: {describe_ws_error(exc)}",
                     fix="a proxy must pass WebSocket upgrades (Upgrade and Connection headers) through to /ws")  # fmt: skip
    await ws.close()
    return Check("websocket", "ok", "the WebSocket /ws opens (progress and previews will arrive live)")


# -- terminal ------------------------------------------------------------------

# (test on the environment, terminal, protocol textual-image would pick) — first match wins.
_TERMINALS: list[tuple[Callable[[Mapping[str, str]], bool], str, str]] = [
    (lambda e: e.get("TERM") == "xterm-kitty" or "KITTY_WINDOW_ID" in e, "kitty", "tgp"),
    (lambda e: e.get("TERM_PROGRAM") == "ghostty" or e.get("TERM") == "xterm-ghostty", "Ghostty", "tgp"),
    (lambda e: e.get("TERM_PROGRAM") == "WezTerm" or "WEZTERM_EXECUTABLE" in e, "WezTerm", "sixel"),
    (lambda e: e.get("TERM_PROGRAM") == "iTerm.app", "iTerm2", "sixel"),
    (lambda e: e.get("TERM", "").startswith("foot"), "foot", "sixel"),
    (lambda e: e.get("TERM", "").startswith("mlterm") or "MLTERM" in e, "mlterm", "sixel"),
    (lambda e: "KONSOLE_VERSION" in e, "Konsole", "sixel"),
    (lambda e: "WT_SESSION" in e, "Windows Terminal", "sixel"),
    (lambda e: e.get("TERM_PROGRAM") == "contour" or e.get("TERM") == "contour", "Contour", "sixel"),
    (lambda e: e.get("TERM_PROGRAM") == "vscode", "VS Code", "halfcell"),
    (lambda e: e.get("TERM_PROGRAM") == "Apple_Terminal", "Terminal.app", "halfcell"),
    (lambda e: e.get("TERM") == "linux", "the Linux console", "halfcell"),
]
_HINTS = {
    "VS Code": "enable terminal.integrated.enableImages in VS Code's settings for sixel previews",
    "the Linux console": "the console shows no images; use a graphical terminal for previews",
}


def check_terminal(env: Mapping[str, str] | None = None, *, isatty: bool | None = None, images: str = "auto",
                   tmux_passthrough: Callable[[], str | None] | None = None) -> list[Check]:  # fmt: skip
    """The image protocol previews would use, tmux passthrough, and SSH."""
    env = os.environ if env is None else env
    isatty = any(os.isatty(fd) for fd in (0, 1, 2)) if isatty is None else isatty
    checks = [_images(env, isatty, images)]
    if "TMUX" in env:
        checks.append(_tmux((tmux_passthrough or _tmux_passthrough)()))
    if "SSH_CONNECTION" in env or "SSH_TTY" in env:
        checks.append(Check("ssh", "ok", "running over SSH: images are sent inline and work, but big previews are slower; "
                            "TERM_PROGRAM is often not forwarded, so the guess above relies on TERM", details={"ssh": True}))  # fmt: skip
    return checks


def _images(env: Mapping[str, str], isatty: bool, images: str) -> Check:
    details: dict[str, Any] = {key: env.get(key) for key in ("TERM", "TERM_PROGRAM", "COLORTERM")}
    if images != "auto":
        details["protocol"] = images
        verdict: Status = "warn" if images in ("halfcell", "unicode") else "ok"
        return Check("images", verdict, f"images = \"{images}\" in config.toml: previews use {images}, whatever the terminal",
                     fix="set images = \"auto\" to let sftui pick" if verdict == "warn" else None, details=details)  # fmt: skip
    if not isatty:
        details["protocol"] = "unicode"
        return Check("images", "warn", "not run in a terminal: cannot tell which image protocol the TUI would use",
                     fix="run `sftui doctor` in the terminal you use sftui in", details=details)  # fmt: skip
    name, protocol = next(((n, p) for test, n, p in _TERMINALS if test(env)), (None, "halfcell"))
    if name is None and env.get("TERM", "").startswith("xterm"):
        name = "xterm (or a terminal calling itself xterm)"
    details.update(terminal=name, protocol=protocol)
    label = name or f"an unrecognised terminal (TERM={env.get('TERM') or 'unset'})"
    if protocol in ("sixel", "tgp"):
        kind = "sixel graphics" if protocol == "sixel" else "the kitty graphics protocol"
        return Check("images", "ok", f"{label}: previews in full resolution with {kind} ({protocol})", details=details)
    fix = _HINTS.get(name or "") or ("use a terminal with sixel or kitty graphics (kitty, Ghostty, WezTerm, foot, iTerm2, Konsole, "
                                     "Windows Terminal); xterm shows sixel when started as `xterm -ti vt340`")  # fmt: skip
    return Check("images", "warn", f"{label}: previews as half-cell blocks (halfcell), low resolution", fix=fix, details=details)


def _tmux(passthrough: str | None) -> Check:
    details = {"allow_passthrough": passthrough}
    if passthrough in ("on", "all"):
        return Check("tmux", "ok", f"inside tmux with allow-passthrough {passthrough}: image escapes reach the terminal", details=details)
    return Check(
        "tmux", "warn", "inside tmux without allow-passthrough: image escapes are swallowed and tmux answers the terminal queries itself",
        fix="add `set -g allow-passthrough on` to ~/.tmux.conf and run `tmux source-file ~/.tmux.conf` (tmux 3.3+); sixel "
        "through tmux also needs tmux 3.4+ built with sixel", details=details,
    )  # fmt: skip


def _tmux_passthrough() -> str | None:
    tmux = shutil.which("tmux")
    if tmux is None:
        return None
    try:
        proc = subprocess.run([tmux, "show-options", "-gv", "allow-passthrough"], capture_output=True, text=True, timeout=2)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return (proc.stdout.strip() or None) if proc.returncode == 0 else None
