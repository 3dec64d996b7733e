"""Corpus inputs too big to commit, written at test time (cases.toml names them as ``generated``)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path
from typing import Callable

from tests.corpus.build_corpus import chunk, png_with

MB = 2**20


def api_nodes_1e6(folder: Path) -> Path:
    """10^6 API-format nodes, compact: over the 25 MB JSON limit before any node is looked at."""
    path = folder / "api-1e6-nodes.json"
    with path.open("w", encoding="utf-8") as fh:
        fh.write("{")
        fh.write(",".join(f'"{i}":{{"class_type":"A"}}' for i in range(10**6)))
        fh.write("}")
    return path


def ui_nodes_1e6(folder: Path) -> Path:
    """10^6 UI nodes small enough (~10 MB) to parse: the node limit must refuse it."""
    path = folder / "ui-1e6-nodes.json"
    path.write_text('{"links": [], "nodes": [' + ",".join(f'{{"id":{i}}}' for i in range(10**6)) + "]}", encoding="utf-8")
    return path


def sparse_65mb(folder: Path) -> Path:
    """A 65 MB file of NULs (sparse on disk): refused by size, not read into memory."""
    path = folder / "huge.json"
    with path.open("wb") as fh:
        fh.truncate(65 * MB)
    return path


def png_30mb_text_chunk(folder: Path) -> Path:
    """A PNG whose prompt tEXt chunk is just over 30 MB."""
    path = folder / "text-chunk-30mb.png"
    path.write_bytes(png_with(chunk(b"tEXt", b"prompt\0" + b" " * (30 * MB + 1024))))
    return path


def png_ztxt_bomb(folder: Path) -> Path:
    """A small PNG whose zTXt workflow inflates to 64 MB (a zlib bomb)."""
    path = folder / "ztxt-bomb.png"
    path.write_bytes(png_with(chunk(b"zTXt", b"workflow\0\0" + zlib.compress(b" " * (64 * MB), 9))))
    return path


GENERATORS: dict[str, Callable[[Path], Path]] = {
    f.__name__: f for f in (api_nodes_1e6, ui_nodes_1e6, sparse_65mb, png_30mb_text_chunk, png_ztxt_bomb)
}


def make(name: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = GENERATORS[name](folder)
    assert path.stat().st_size > 0 and os.path.exists(path)
    return path
