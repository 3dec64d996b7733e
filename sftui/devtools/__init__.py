"""Developer tools: realistic data for benchmarks and manual checks. No Textual here.

``seed_database`` fills a database with sessions of finished generations (varied
prompts and parameters, exact workflow snapshots, small real PNG outputs and their
cached thumbnails) fast enough for 100,000-row sessions.
"""

from __future__ import annotations

from sftui.devtools.seed import SeedOptions, SeedReport, seed_database

__all__ = ["SeedOptions", "SeedReport", "seed_database"]
