"""``sftui`` with 1 s HTTP/WebSocket timeouts (``python -m tests.faults._short_timeouts generate …``).

The real defaults (5 s to connect, 30 s to read) would make the stalled-server
tests take a minute; only the numbers change, the command runs as shipped.
"""

from __future__ import annotations

import sys

from sftui.comfy.client import ComfyClient

ComfyClient.__init__.__kwdefaults__.update(connect_timeout=1.0, read_timeout=1.0)

if __name__ == "__main__":
    from sftui.__main__ import main

    sys.exit(main())
