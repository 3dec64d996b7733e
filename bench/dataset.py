"""The benchmark database: sessions of 10, 1,000, 10,000 and 100,000 generations.

Seeded once with ``sftui.devtools`` and kept under the bench cache dir, in a folder
named after ``DATASET_VERSION`` (bump it when the seeder or the schema changes).
A fifth, empty session is the most recent one, so the app opens on it at start and
every measured session is opened by selecting it.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

DATASET_VERSION = "v1"
SIZES = (10, 1_000, 10_000, 100_000)
RNG_SEED = 2025


@dataclass(frozen=True)
class Dataset:
    db_path: Path
    cache_dir: Path
    #: size -> session id
    sessions: dict[int, str]
    landing: str
    seed_seconds: float | None


def default_cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sftui-bench"


def ensure_dataset(root: Path, sizes: tuple[int, ...] = SIZES, *, log=print) -> Dataset:
    folder = root / f"dataset-{DATASET_VERSION}-{'-'.join(map(str, sizes))}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        return Dataset(folder / "data" / "sftui.db", folder / "cache", {int(k): v for k, v in data["sessions"].items()}, data["landing"], None)
    if folder.exists():
        shutil.rmtree(folder)  # a half-made one from an interrupted run
    log(f"seeding the benchmark database ({sum(sizes):,} generations) into {folder} …")
    from sftui.db import close_database
    from sftui.devtools import SeedOptions, seed_database
    from sftui.devtools.seed import DEFAULT_END

    db_path = folder / "data" / "sftui.db"
    cache = folder / "cache"
    report = seed_database(SeedOptions(db_path=db_path, sizes=sizes, rng_seed=RNG_SEED, cache_dir=cache), _progress(log))
    landing = seed_database(SeedOptions(db_path=db_path, sizes=(0,), rng_seed=RNG_SEED + 1, end=DEFAULT_END + timedelta(days=1)))
    close_database()
    sessions = dict(zip(sizes, report.session_ids))
    manifest.write_text(json.dumps({"sessions": sessions, "landing": landing.session_ids[0], "seed": report.to_dict()}, indent=1))
    log(f"seeded in {report.elapsed_seconds:.1f}s")
    return Dataset(db_path, cache, sessions, landing.session_ids[0], report.elapsed_seconds)


def _progress(log):
    last = [-1]

    def report(done: int, total: int) -> None:
        tenth = done * 10 // max(1, total)
        if tenth != last[0]:
            last[0] = tenth
            print(f"  seeded {done:,}/{total:,}", file=sys.stderr, flush=True)

    return report


MANY_SESSIONS = 10_000


def ensure_many_sessions(root: Path, count: int = MANY_SESSIONS, *, log=print) -> Dataset:
    """A second database: ``count`` sessions of one generation each (the sidebar's measures).

    ``sessions`` maps ``"newest"`` and ``"second"`` to the two most recently active ones.
    """
    folder = root / f"sessions-{DATASET_VERSION}-{count}"
    manifest = folder / "manifest.json"
    if manifest.is_file():
        data = json.loads(manifest.read_text())
        return Dataset(folder / "data" / "sftui.db", folder / "cache", data["sessions"], data["sessions"]["newest"], None)
    if folder.exists():
        shutil.rmtree(folder)
    log(f"seeding {count:,} sessions into {folder} …")
    from sftui.db import close_database, list_sessions, open_database
    from sftui.devtools import SeedOptions, seed_database

    db_path = folder / "data" / "sftui.db"
    cache = folder / "cache"
    report = seed_database(SeedOptions(db_path=db_path, sizes=(1,) * count, rng_seed=RNG_SEED + 2, cache_dir=cache, images_per_size=1))
    open_database(db_path)
    newest, second = (session.id for session in list_sessions(limit=2))
    close_database()
    sessions = {"newest": newest, "second": second}
    manifest.write_text(json.dumps({"sessions": sessions, "seed": report.to_dict()}, indent=1))
    log(f"seeded in {report.elapsed_seconds:.1f}s")
    return Dataset(db_path, cache, sessions, newest, report.elapsed_seconds)
