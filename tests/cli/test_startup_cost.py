"""What ``sftui generate`` does not pay for: modules it never needs, work at exit, TLS for http.

The figures themselves are measured by ``make bench`` (``generate_overhead_ms``); these tests
keep the reasons from creeping back.
"""

from __future__ import annotations

import json
import logging
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sftui.comfy.client import _tls_context
from sftui.workflows.defaults import default_workflow
from tests.conftest import run_cli

# Loaded by an API-format generate before these changes, and not needed by it.
NOT_NEEDED = (
    "httpx._main", "rich", "click", "pygments",  # httpx's command line
    "PIL",  # reading a JSON workflow
    "playhouse.migrate", "sftui.db.migrations.m0001_initial",  # an up-to-date database
    "sftui.workflows.convert", "sftui.workflows.convert_graph",  # an API-format workflow
    "tomllib",  # no config file
    "sftui.workflows.a1111",  # no A1111 text
    "sftui.comfy.rejection",  # the server accepted the prompt
    "sftui.generation.reconcile",  # nothing left unfinished
)

_IN_PROCESS = """
import gc, json, sys
from sftui.cli import run
code = run(sys.argv[1:])
print(json.dumps({"code": code, "modules": sorted(sys.modules), "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def _generate_in_process(*args: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _IN_PROCESS, "generate", *args], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_an_api_workflow_generate_loads_nothing_it_does_not_need(simulator, tmp_path: Path) -> None:
    workflow = tmp_path / "wf.json"
    workflow.write_text(json.dumps(default_workflow()))
    db = tmp_path / "g.db"
    first = run_cli("generate", "--server", simulator.url, "--db", str(db), "--workflow", str(workflow), "--json")
    assert first.returncode == 0, first.stderr.decode()  # creates the database and the object_info cache
    report = _generate_in_process("--server", simulator.url, "--db", str(db), "--workflow", str(workflow), "--json")
    assert report["code"] == 0
    loaded = set(report["modules"])
    assert "httpx" in loaded and "sftui.db" in loaded  # the check can see what is loaded
    assert [name for name in NOT_NEEDED if name in loaded] == []
    # The collector paused for start-up is running again, and nothing stays frozen for the caller.
    assert report["gc_enabled"] is True and report["frozen"] == 0


def test_the_database_is_closed_at_exit(simulator, tmp_path: Path) -> None:
    db = tmp_path / "w.db"
    proc = run_cli("generate", "--server", simulator.url, "--db", str(db), "--prompt", "x", "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    # Closed by the exit hook (its WAL checkpointed and removed), not left to the collector.
    assert db.exists() and not Path(f"{db}-wal").exists() and not Path(f"{db}-shm").exists()


def test_httpx_loads_without_its_command_line_and_stays_whole() -> None:
    script = """
import sys
import sftui.comfy.httpio as io
import httpx
before = sorted(m for m in ("httpx._main", "rich", "click") if m in sys.modules)
assert not any(type(f).__name__ == "_DeclineHttpxCli" for f in sys.meta_path), "the finder must not stay"
import httpx._main  # still importable by whoever wants it
print(before, httpx.AsyncClient is io.httpx.AsyncClient, callable(httpx._main.main))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True", "True"]


def test_a_process_that_imported_httpx_first_keeps_it_as_it_was() -> None:
    script = "import httpx, httpx._main; import sftui.comfy.httpio; print(httpx.main is httpx._main.main)"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True"


def test_plain_http_gets_a_context_that_trusts_nothing() -> None:
    context = _tls_context("http://127.0.0.1:8188", True)
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.cert_store_stats()["x509_ca"] == 0
    # The opt-out does not loosen it: no TLS is spoken to an http:// server anyway.
    assert _tls_context("http://127.0.0.1:8188", False).verify_mode == ssl.CERT_REQUIRED


def test_https_keeps_the_callers_choice() -> None:
    assert _tls_context("https://comfy.example", True) is True
    assert _tls_context("https://comfy.example", False) is False


@pytest.fixture
def sftui_logger() -> Iterator[logging.Logger]:
    """The "sftui" logger as setup_logging leaves it, put back afterwards (other tests use caplog)."""
    from sftui import logs

    logger = logging.getLogger("sftui")
    saved = (list(logger.handlers), logger.propagate, logger.level, logs._configured)
    yield logger
    for handler in logger.handlers:
        handler.close()
    logger.handlers[:] = saved[0]
    logger.propagate, logger.level, logs._configured = saved[1], saved[2], saved[3]


def test_the_log_file_opens_with_its_first_record(tmp_path: Path, sftui_logger: logging.Logger) -> None:
    from sftui import logs

    path = tmp_path / "logs" / "sftui.log"
    logs.setup_logging(path, log_prompts=False)
    assert not path.exists()  # nothing logged yet, nothing opened
    logging.getLogger("sftui.test").info("first \x1b[31m record")
    logging.getLogger("sftui.test").warning("second")
    for handler in sftui_logger.handlers:
        handler.flush()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2 and "first \\x1b[31m record" in lines[0] and "WARNING sftui.test: second" in lines[1]


def test_an_unwritable_log_directory_costs_nothing(tmp_path: Path, sftui_logger: logging.Logger) -> None:
    from sftui import logs

    blocker = tmp_path / "file"
    blocker.write_text("x")
    logs.setup_logging(blocker / "sftui.log", log_prompts=False)  # its parent is a file: cannot be made
    logging.getLogger("sftui.test").warning("dropped quietly")  # no exception reaches the caller


# A program around sftui's entry point, as the console script is, with an exit hook of its
# own and a witness of the interpreter's teardown (an audit event raised only by it).
_PROGRAM = """
import atexit, os, sys, threading, time

def witness(event, args, write=os.write):
    if event == "cpython.PyInterpreterState_Clear":
        write(1, b"teardown\\n")

sys.addaudithook(witness)
atexit.register(lambda: print("hook", flush=True))
if sys.argv[1] == "--with-thread":
    del sys.argv[1]
    def outlive_main():  # until the interpreter's exit marks the main thread stopped
        while threading.main_thread().is_alive():
            time.sleep(0.01)
        print("thread ended", flush=True)
    threading.Thread(target=outlive_main).start()
sys.argv[0] = "sftui"
from sftui.__main__ import main
sys.exit(main())
"""


def _program(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", _PROGRAM, *args], capture_output=True, text=True, timeout=60)


def test_a_headless_command_ends_without_the_interpreters_teardown(simulator, tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    done = _program("generate", "--server", simulator.url, "--db", str(db), "--prompt", "x", "--json")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert json.loads(lines[-2])["success"] is True  # the result, complete, then the exit hooks
    assert lines[-1] == "hook" and "teardown" not in lines
    assert not Path(f"{db}-wal").exists()  # our own hook closed the database


def test_a_failing_command_keeps_its_exit_code(tmp_path: Path) -> None:
    done = _program("generate", "--count", "0", "--server", "http://127.0.0.1:9", "--db", str(tmp_path / "x.db"), "--json")
    assert done.returncode == 2, done.stderr  # a usage error
    assert json.loads(done.stdout.splitlines()[0])["error"]["code"] == "usage"
    assert done.stdout.splitlines()[-1] == "hook"


def test_a_live_thread_gets_the_ordinary_exit(tmp_path: Path) -> None:
    done = _program("--with-thread", "locate", "--db", str(tmp_path / "x.db"))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # The interpreter waited for the thread and tore down as usual.
    assert "thread ended" in lines and "hook" in lines and lines[-1] == "teardown"


def test_the_collector_is_back_after_any_command(tmp_path: Path, capsys: pytest.CaptureFixture[str], sftui_logger: logging.Logger) -> None:
    """run() pauses it from the start (only generate keeps it paused, until its prompts are posted)."""
    import gc

    from sftui.cli import run

    try:
        assert run(["locate", "--db", str(tmp_path / "x.db")]) == 0
        assert gc.isenabled()
        with pytest.raises(SystemExit):
            run(["generate", "--no-such-option"])
        assert gc.isenabled() and gc.get_freeze_count() == 0
    finally:
        gc.enable()
