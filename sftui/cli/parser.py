"""The command line's grammar, built only as far as a command line needs it.

Building all twenty-odd subcommand parsers costs ~9 ms, most of a ``sftui --help``
and a noticeable part of every command. ``parse`` reads which command the words
name and builds that one alone; whenever that reading could be wrong (no command
word, an unknown one, any parse error) it parses again with the whole grammar, so
help, errors and results are exactly the full parser's.
"""

from __future__ import annotations

import argparse
from typing import Any, Callable

from sftui import __version__

Handler = str  # "sftui.cli.cmd_x:function"
Sub = Any  # argparse's _SubParsersAction


def _common(json_flag: bool = True, *, top: bool = False) -> argparse.ArgumentParser:
    # Subcommands repeat --db/--server with SUPPRESS defaults, so `sftui --db X cmd` and
    # `sftui cmd --db X` both work (argparse would otherwise overwrite the first with None).
    default = None if top else argparse.SUPPRESS
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", default=default, help="database file (default: $SFTUI_DB, else the XDG data dir)")
    if json_flag:
        common.add_argument("--json", action="store_true", help="print the {success, data|error} JSON envelope")
    return common


def _server_opt(*, top: bool = False) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--server", metavar="URL", default=None if top else argparse.SUPPRESS, help="ComfyUI server (default: $SFTUI_SERVER, config, http://127.0.0.1:8188)")
    return p


def _add(sub: Sub, name: str, handler: Handler, help_text: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=help_text, description=help_text, parents=[_common(), *parents])
    parser.set_defaults(handler=handler)
    return parser


def _generate(sub: Sub) -> None:
    gen = _add(sub, "generate", "sftui.cli.cmd_generate:generate", "queue generations and wait for them", _server_opt())
    gen.add_argument("--session", metavar="ID|TITLE", help="session to add to (created if missing)")
    gen.add_argument("--workflow", metavar="ID|NAME|FILE", help="saved workflow, or a workflow file (default: the default workflow)")
    gen.add_argument("--prompt", default=None, metavar="TEXT", help="positive prompt (default: the workflow's own text)")
    gen.add_argument("--negative", default=None, metavar="TEXT", help="negative prompt")
    gen.add_argument("--seed", type=int, metavar="N", help="seed; -1 = random (resolved before submitting and stored)")
    gen.add_argument("--steps", type=int, metavar="N")
    gen.add_argument("--cfg", type=float, metavar="X", help="CFG scale")
    gen.add_argument("--width", type=int, metavar="N")
    gen.add_argument("--height", type=int, metavar="N")
    gen.add_argument("--sampler", metavar="NAME")
    gen.add_argument("--scheduler", metavar="NAME")
    gen.add_argument("--batch-size", type=int, metavar="N", help="images per generation (latent batch)")
    gen.add_argument("--count", type=int, default=1, metavar="N", help="queue N generations with consecutive seeds")
    gen.add_argument("--checkpoint", metavar="NAME")
    gen.add_argument("--lora", action="append", default=[], metavar="NAME[:MODEL[:CLIP]]", help="add a LoRA (repeatable)")
    gen.add_argument("--set", action="append", default=[], dest="custom", metavar="NODE.FIELD=VALUE", help="set a workflow input (repeatable)")


def _workflows(sub: Sub) -> None:
    wf = sub.add_parser("workflows", help="the workflow library").add_subparsers(dest="action", metavar="ACTION", required=True)
    imp = _add(wf, "import", "sftui.cli.cmd_workflows:import_", "import a workflow: API/UI JSON, a ComfyUI or A1111 PNG, or A1111 text ('-' = stdin)", _server_opt())
    imp.add_argument("file", metavar="FILE|-")
    imp.add_argument("--name")
    imp.add_argument("--description")
    imp.add_argument("--default", action="store_true", help="make it the default workflow")
    imp.add_argument("--object-info", metavar="PATH", help="node definitions file (instead of asking the server)")
    _add(wf, "list", "sftui.cli.cmd_workflows:list_", "list saved workflows")
    _add(wf, "show", "sftui.cli.cmd_workflows:show", "show a workflow and its parameters").add_argument("ref", metavar="ID|NAME")
    upd = _add(wf, "update", "sftui.cli.cmd_workflows:update", "rename a workflow or make it the default")
    upd.add_argument("ref", metavar="ID|NAME")
    upd.add_argument("--name")
    upd.add_argument("--description")
    upd.add_argument("--default", action="store_true")
    wf_delete = _add(wf, "delete", "sftui.cli.cmd_workflows:delete", "delete a workflow (its generations keep their snapshots; asks first)")
    wf_delete.add_argument("ref", metavar="ID|NAME")
    wf_delete.add_argument("--yes", "-y", action="store_true", help="do not ask (needed where there is no terminal to ask on)")
    conv = _add(wf, "convert", "sftui.cli.cmd_workflows:convert", "print the API-format prompt for any workflow file", _server_opt())
    conv.add_argument("file", metavar="FILE|-")
    conv.add_argument("--object-info", metavar="PATH", help="node definitions file (instead of asking the server)")


def _sessions(sub: Sub) -> None:
    ses = sub.add_parser("sessions", help="generation sessions").add_subparsers(dest="action", metavar="ACTION", required=True)
    lst = _add(ses, "list", "sftui.cli.cmd_sessions:list_", "list sessions, most recent first")
    lst.add_argument("--limit", type=int, metavar="N", help="only the N most recently active")
    lst.add_argument("--search", metavar="TEXT", help="titles holding these characters in order (any case)")
    show = _add(ses, "show", "sftui.cli.cmd_sessions:show", "show a session and a page of its generations")
    show.add_argument("ref", metavar="ID|TITLE")
    show.add_argument("--limit", type=int, default=50, metavar="N")
    show.add_argument("--before", metavar="CURSOR", help="page cursor from a previous 'next_cursor'")
    _add(ses, "create", "sftui.cli.cmd_sessions:create", "create a session").add_argument("title", nargs="?")
    ren = _add(ses, "rename", "sftui.cli.cmd_sessions:rename", "rename a session")
    ren.add_argument("ref", metavar="ID|TITLE")
    ren.add_argument("title")
    dele = _add(ses, "delete", "sftui.cli.cmd_sessions:delete", "delete a session, its generations and their files (asks first)")
    dele.add_argument("ref", metavar="ID|TITLE")
    dele.add_argument("--yes", "-y", action="store_true", help="do not ask (needed where there is no terminal to ask on)")


def _generations(sub: Sub) -> None:
    gens = sub.add_parser("generations", help="single generations").add_subparsers(dest="action", metavar="ACTION", required=True)
    _add(gens, "show", "sftui.cli.cmd_sessions:generation_show", "show one generation").add_argument("id")
    _add(gens, "workflow", "sftui.cli.cmd_sessions:generation_workflow", "print the exact prompt and parameters of a generation").add_argument("id")


def _options(sub: Sub) -> None:
    _add(sub, "options", "sftui.cli.cmd_misc:options", "samplers, schedulers, models and size presets from the server", _server_opt())


def _locate(sub: Sub) -> None:
    _add(sub, "locate", "sftui.cli.cmd_misc:locate", "print where config, database, outputs and log live")


def _doctor(sub: Sub) -> None:
    _add(sub, "doctor", "sftui.cli.cmd_doctor:doctor", "check the database, the server and the terminal, and say what to fix", _server_opt())


def _dev(sub: Sub) -> None:
    dev = sub.add_parser("dev", help="developer tools").add_subparsers(dest="action", metavar="ACTION", required=True)
    seed = _add(dev, "seed", "sftui.cli.cmd_dev:seed", "fill a database with realistic sessions and generations (benchmarks, manual checks)")
    seed.add_argument("--sessions", type=int, default=10, metavar="N")
    seed.add_argument("--generations", type=int, default=100, metavar="M", help="generations per session")
    seed.add_argument("--rng-seed", type=int, default=1, metavar="N", help="random seed, for reproducible data")


def _demo_server(sub: Sub) -> None:
    demo = sub.add_parser("demo-server", help="run the ComfyUI simulator", description="run the ComfyUI-compatible simulator (loopback only by default)")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8188)
    demo.add_argument("--step-delay", type=float, default=0.05, metavar="S", help="seconds per sampling step")
    demo.set_defaults(handler="sftui.cli.cmd_misc:demo_server", json=False, db=None)


#: In the order ``sftui --help`` lists them.
COMMANDS: dict[str, Callable[[Sub], None]] = {
    "generate": _generate,
    "workflows": _workflows,
    "sessions": _sessions,
    "generations": _generations,
    "options": _options,
    "locate": _locate,
    "doctor": _doctor,
    "dev": _dev,
    "demo-server": _demo_server,
}
#: Top-level options that take a value: the word after them is not a command.
_VALUE_OPTIONS = ("--db", "--server", "--images")


def build_parser(only: str | None = None, *, parser_class: type[argparse.ArgumentParser] = argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The whole grammar, or the top level and command ``only``."""
    parser = parser_class(
        prog="sftui",
        description="A keyboard-driven terminal client for ComfyUI. Without a command, opens the TUI.",
        parents=[_common(json_flag=False, top=True), _server_opt(top=True)],
    )
    parser.add_argument("--version", action="version", version=f"sftui {__version__}")
    parser.add_argument("--demo", action="store_true", help="start the built-in simulator and use a separate demo database")
    parser.add_argument("--images", choices=["auto", "sixel", "tgp", "halfcell", "unicode", "off"], help="image protocol for previews")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, build in COMMANDS.items():
        if only is None or name == only:
            build(sub)
    return parser


def command_word(argv: list[str]) -> str | None:
    """The command the words name, read as argparse would; None when unsure."""
    takes_value = False
    for word in argv:
        if takes_value:
            takes_value = False
        elif word == "--":
            return None
        elif word.startswith("-"):
            # argparse accepts unambiguous prefixes (--serv URL).
            takes_value = "=" not in word and len(word) > 2 and any(option.startswith(word) for option in _VALUE_OPTIONS)
        else:
            return word if word in COMMANDS else None
    return None


class _Unsure(Exception):
    pass


class _OneCommandParser(argparse.ArgumentParser):
    """Hands any error back to ``parse``, which then asks the whole grammar."""

    def error(self, message: str) -> Any:
        raise _Unsure(message)


def parse(argv: list[str]) -> argparse.Namespace:
    command = command_word(argv)
    if command is not None:
        try:
            args = build_parser(command, parser_class=_OneCommandParser).parse_args(argv)
        except _Unsure:
            pass
        else:
            if args.command == command:
                return args
    return build_parser().parse_args(argv)
