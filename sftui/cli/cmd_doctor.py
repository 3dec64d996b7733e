"""``sftui doctor``: run the checks of ``sftui.doctor`` and print what to fix.

Exit 0 when nothing failed (warnings allowed), 1 otherwise. ``--json`` prints the
envelope with the list of checks: ``{"success": true, "data": {"checks": [...]}}``,
or with ``success: false`` and an ``error`` naming the failed checks.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from sftui import config as cfg
from sftui.cli.output import emit_json, failure, inert, success

_MARK = {"ok": "ok  ", "warn": "warn", "fail": "FAIL"}


def doctor(args: argparse.Namespace) -> int:
    from sftui.doctor import check_config, check_database, check_server, check_terminal

    config_check, config = check_config()
    db_path = cfg.resolve_db_path(getattr(args, "db", None))
    server_url = cfg.resolve_server(getattr(args, "server", None), config)[0]
    checks = [config_check, *check_database(db_path)]
    checks += asyncio.run(check_server(server_url, headers=config.headers or None, verify=config.verify_tls))
    checks += check_terminal(images=config.images)

    failed = [c.name for c in checks if c.status == "fail"]
    data: dict[str, Any] = {
        "checks": [c.to_dict() for c in checks],
        "counts": {status: sum(1 for c in checks if c.status == status) for status in ("ok", "warn", "fail")},
    }
    if getattr(args, "json", False):
        if failed:
            emit_json({**failure({"code": "doctor_failed", "message": f"{len(failed)} check(s) failed: {', '.join(failed)}"}), "data": data})
        else:
            emit_json(success(data))
    else:
        _print(checks, data["counts"])
    return 1 if failed else 0


def _print(checks: list[Any], counts: dict[str, int]) -> None:
    width = max(len(c.name) for c in checks)
    for check in checks:
        print(f"{_MARK[check.status]}  {check.name:<{width}}  {inert(check.summary)}")
        if check.fix and check.status != "ok":
            print(f"{'':4}  {'':<{width}}  fix: {inert(check.fix)}")
    verdict = f"{counts['fail']} failed, {counts['warn']} warning(s), {counts['ok']} ok"
    print(verdict, file=sys.stderr if counts["fail"] else sys.stdout)
