"""``python -m tests.hostile.peak_rss OUT ARGS...``: run ``sftui ARGS`` and write its peak RSS (MiB) to OUT.

The peak is ``VmHWM`` of this process's own address space. ``ru_maxrss`` from
``wait4`` would not do: it survives exec and so includes the parent's size when
the child was forked (the test process, which may hold a 100 MB frame to send).
"""

from __future__ import annotations

import atexit
import sys
from pathlib import Path


def _write_peak(out: Path) -> None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            out.write_text(str(int(line.split()[1]) / 1024))


if __name__ == "__main__":
    atexit.register(_write_peak, Path(sys.argv[1]))
    from sftui.__main__ import main

    sys.exit(main(sys.argv[2:]))
