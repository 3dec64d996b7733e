"""Turn user errors into one line and an exit code; leave bugs their traceback."""

from __future__ import annotations

import sqlite3
import sys
from typing import Callable

from sftui.cli.output import emit_json, failure, inert, one_line
from sftui.errors import SftuiError


def guarded(action: Callable[[], int | None], *, as_json: bool) -> int:
    try:
        code = action()
    except SftuiError as exc:
        return _report(exc.to_dict(), exc.exit_code, as_json)
    except sqlite3.Error as exc:  # peewee re-raises sqlite3's errors with their own classes too
        return _report({"code": "database_error", "message": f"database error: {exc}"}, 1, as_json)
    except UnicodeEncodeError as exc:
        # Command-line bytes that are not UTF-8 reach Python as lone surrogates, which
        # SQLite and stdout refuse; that is the user's input, not a bug, so one line.
        if "surrogate" not in str(exc.reason):
            raise
        message = "text that is not valid UTF-8 (an argument or a file holds undecodable bytes) cannot be stored or printed"
        return _report({"code": "invalid_text", "message": message}, 1, as_json)
    except KeyboardInterrupt:
        return _report({"code": "interrupted", "message": "interrupted"}, 130, as_json)
    except Exception as exc:  # noqa: BLE001 - peewee's wrappers of sqlite3 errors
        if type(exc).__module__ == "peewee" and "Error" in type(exc).__name__:
            return _report({"code": "database_error", "message": f"database error: {exc}"}, 1, as_json)
        raise
    return int(code or 0)


def _report(error: dict, exit_code: int, as_json: bool) -> int:
    error = {**error, "message": one_line(error.get("message", ""))}
    if as_json:
        emit_json(failure(error))
    else:
        sys.stderr.write(f"sftui: error: {inert(error['message'])}\n")
    return exit_code
