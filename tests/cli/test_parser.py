"""Parsing one command's grammar gives exactly what the whole grammar gives, errors and help included."""

from __future__ import annotations

import pytest

from sftui.cli.parser import build_parser, command_word, parse

VALID = [
    ["generate", "--json"],
    ["--db", "x.db", "generate", "--prompt", "a fox", "--seed", "-1", "--lora", "a:0.5", "--set", "3.steps=4"],
    ["--db", "generate", "generate", "--json"],  # a database file named like a command
    ["--serv", "http://h:1", "generate"],  # an abbreviated option that takes a value
    ["--server=http://h:1", "--images", "off", "generate", "--db", "y.db"],
    ["workflows", "import", "wf.json", "--name", "n", "--default"],
    ["sessions", "show", "s1", "--limit", "5"],
    ["generations", "workflow", "g1", "--json"],
    ["demo-server", "--port", "9"],
    ["dev", "seed", "--sessions", "1"],
    ["doctor", "--server", "http://h:1"],
    [],
    ["--demo"],
]

INVALID = [
    ["generate", "--steps", "many"],
    ["generate", "--version"],
    ["sessions"],
    ["--images", "nope", "generate"],
    ["nonsense"],
    ["--db", "--", "generate"],
]


@pytest.mark.parametrize("argv", VALID, ids=" ".join)
def test_one_command_parses_like_the_whole_grammar(argv: list[str]) -> None:
    assert vars(parse(argv)) == vars(build_parser().parse_args(argv))


@pytest.mark.parametrize("argv", INVALID, ids=" ".join)
def test_errors_are_the_whole_grammars(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as full:
        build_parser().parse_args(argv)
    expected = capsys.readouterr()
    with pytest.raises(SystemExit) as ours:
        parse(argv)
    assert ours.value.code == full.value.code
    assert capsys.readouterr() == expected


@pytest.mark.parametrize("argv", [["--help"], ["generate", "--help"], ["workflows", "import", "-h"]], ids=" ".join)
def test_help_is_the_whole_grammars(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(argv)
    expected = capsys.readouterr().out
    with pytest.raises(SystemExit):
        parse(argv)
    assert capsys.readouterr().out == expected and "usage: sftui" in expected


def test_the_command_word_is_read_as_argparse_reads_it() -> None:
    assert command_word(["--db", "generate", "sessions", "list"]) == "sessions"
    assert command_word(["--server=u", "generate"]) == "generate"
    assert command_word(["--json", "generate"]) == "generate"  # a flag takes no value
    assert command_word(["--", "generate"]) is None
    assert command_word(["unknown"]) is None and command_word([]) is None
