"""Entry point: ``sftui`` (the TUI) and ``sftui <command>`` (headless)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Run ``argv`` (default: this process's arguments); as the program itself, end the process too."""
    from sftui.cli import end_process, run

    code = run(sys.argv[1:] if argv is None else argv)
    if argv is None:
        end_process(code)
    return code


if __name__ == "__main__":
    sys.exit(main())
