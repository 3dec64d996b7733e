"""Real, tiny PNG outputs for seeded generations, and their cached thumbnails.

A few dozen pictures are rendered once (the simulator's procedural renderer, at
1/16 of each SDXL preset's size). Every generation's folder then gets a hard link
to one of them, so 100,000 generations cost 100,000 directory entries, not 100,000
images. Thumbnails go where the TUI looks for them (``thumbnail_path``): the
first output of each picture is thumbnailed for real, the others link to it.

File work costs ~150 µs an output (system calls and hashing), as much as making
and inserting its row, so ``FilePlacer`` does it in a helper process while the
main one goes on with the rows. (A thread is slower than no help at all here:
it waits for the GIL after every system call while the main thread runs Python.)
"""

from __future__ import annotations

import errno
import importlib
import multiprocessing
import os
import shutil
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

Placement = tuple[Path, tuple[int, int], int]

SCALE = 16
SOURCES_DIR = ".sftui-seed"
# Hard links stop at a filesystem limit (65,000 on ext4): then a copy starts a new source.
_LINK_ERRORS = {errno.EMLINK, errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP}


def _thumbnails() -> Any:
    # Imported by name: the module is Textual-free but lives in sftui.ui, which the
    # import contract keeps out of the CLI's static import graph (see the report).
    return importlib.import_module("sftui.ui.thumbnails")


class ImageBank:
    def __init__(self, data_dir: Path, sizes: list[tuple[int, int]], per_size: int, rng_seed: int, cache_dir: Path | None) -> None:
        self.data_dir = Path(data_dir)
        self.cache_dir = None if cache_dir is None else Path(cache_dir)
        if cache_dir is not None:
            _thumbnails()  # fail here, not in the helper process, if it is missing
        self._sources: dict[tuple[int, int], list[Path]] = {}
        self._thumb_of: dict[Path, Path] = {}
        self._made_dirs: set[Path] = set()
        self.files = 0
        self.thumbnails = 0
        self.rendered = 0
        root = self.data_dir / SOURCES_DIR / f"rng{rng_seed}"
        root.mkdir(parents=True, exist_ok=True)
        for width, height in sizes:
            self._sources[(width, height)] = [self._render(root, width, height, i, rng_seed) for i in range(per_size)]

    def _render(self, root: Path, width: int, height: int, index: int, rng_seed: int) -> Path:
        path = root / f"{width}x{height}_{index:02d}.png"
        if not path.is_file():
            from sftui.comfy.simulator.render import png_plain, render

            image = render(f"sftui-seed/{rng_seed}/{width}x{height}/{index}", max(8, width // SCALE), max(8, height // SCALE))
            tmp = path.with_suffix(".part")
            tmp.write_bytes(png_plain(image))
            os.replace(tmp, path)
            self.rendered += 1
        return path

    def place_many(self, items: list[Placement]) -> tuple[int, int]:
        """Place every item; returns how many files and thumbnails that added."""
        files, thumbnails = self.files, self.thumbnails
        for dest, size, pick in items:
            self.place(dest, size, pick)
        return self.files - files, self.thumbnails - thumbnails

    def place(self, dest: Path, size: tuple[int, int], pick: int) -> None:
        """Put picture number ``pick`` of ``size`` at ``dest`` (and its thumbnail in the cache)."""
        sources = self._sources.get(size) or next(iter(self._sources.values()))
        index = pick % len(sources)
        source = sources[index]
        os.makedirs(dest.parent, exist_ok=True)
        linked = True
        try:
            os.link(source, dest)
        except OSError as exc:
            if exc.errno not in _LINK_ERRORS:
                raise
            linked = False
            shutil.copyfile(source, dest)
            if exc.errno == errno.EMLINK:
                sources[index] = dest  # a fresh inode to link the next ones to
        self.files += 1
        if self.cache_dir is not None:
            self._thumbnail(dest, sources[index] if linked else dest)

    def _thumbnail(self, dest: Path, inode_of: Path) -> None:
        thumbs = _thumbnails()
        made = self._thumb_of.get(inode_of)
        if made is None:
            self._thumb_of[inode_of] = thumbs.make_thumbnail(dest, self.cache_dir)
            self.thumbnails += 1
            return
        target = thumbs.thumbnail_path(dest, self.cache_dir)
        self._mkdir(target.parent)
        try:
            os.link(made, target)
        except FileExistsError:
            return
        except OSError as exc:
            if exc.errno not in _LINK_ERRORS:
                raise
            self._thumb_of[inode_of] = thumbs.make_thumbnail(dest, self.cache_dir)
        self.thumbnails += 1

    def _mkdir(self, folder: Path) -> None:
        if folder not in self._made_dirs:
            folder.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(folder)


_worker_bank: ImageBank | None = None


def _start_worker(bank: ImageBank) -> None:
    global _worker_bank
    _worker_bank = bank


def _place_in_worker(items: list[Placement]) -> tuple[int, int]:
    assert _worker_bank is not None
    return _worker_bank.place_many(items)


class FilePlacer:
    """``ImageBank.place_many`` in one helper process, one batch in flight at a time."""

    def __init__(self, bank: ImageBank) -> None:
        self.files = 0
        self.thumbnails = 0
        # spawn: the parent holds SQLite connections, which must not cross a fork.
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker, initargs=(bank,)
        )
        self._running: Future[tuple[int, int]] | None = None

    def submit(self, items: list[Placement]) -> None:
        self.wait()
        if items:
            self._running = self._pool.submit(_place_in_worker, items)

    def wait(self) -> None:
        """Finish the batch in flight; its errors are raised here."""
        running, self._running = self._running, None
        if running is not None:
            files, thumbnails = running.result()
            self.files += files
            self.thumbnails += thumbnails

    def __enter__(self) -> FilePlacer:
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
