"""Text metadata of PNG files (ComfyUI ``prompt``/``workflow``, A1111 ``parameters``).

Chunks are walked with Pillow's ``ChunkStream`` (header parsing and CRC
checks), and compressed text is inflated here with an explicit bound, so a
ComfyUI workflow larger than Pillow's default 1 MB text limit still reads
while a zlib bomb does not. Pixel data is never decoded.
"""

from __future__ import annotations

import io
import struct
import warnings
import zlib
from typing import TYPE_CHECKING

from sftui.errors import WorkflowError
from sftui.workflows.limits import MAX_PNG_BYTES, MAX_PNG_TEXT_CHUNK, megabytes

if TYPE_CHECKING:
    from PIL import PngImagePlugin

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")


def is_png(data: bytes) -> bool:
    return data[:8] == PNG_MAGIC


def read_png_text(data: bytes, *, source: str = "<input>") -> dict[str, str]:
    """All text chunks of a PNG as ``{keyword: text}`` (first chunk wins for a repeated keyword)."""
    if len(data) > MAX_PNG_BYTES:
        raise WorkflowError(f"PNG {source} is larger than {megabytes(MAX_PNG_BYTES)} (MAX_PNG_BYTES)")
    from PIL import PngImagePlugin  # here, not at the top: reading a JSON workflow never needs Pillow

    texts: dict[str, str] = {}
    stream = PngImagePlugin.ChunkStream(io.BytesIO(data[8:]))
    header = b""
    seen_end = False
    while not seen_end:
        cid, length = _next_chunk(stream, source)
        if not header and cid != b"IHDR":
            raise WorkflowError(f"PNG {source} is corrupt: it does not start with an IHDR chunk")
        if cid in _TEXT_CHUNKS and length > MAX_PNG_TEXT_CHUNK:
            raise WorkflowError(
                f"PNG {source} has a {cid.decode()} chunk of {length} bytes, more than {megabytes(MAX_PNG_TEXT_CHUNK)} (MAX_PNG_TEXT_CHUNK)"
            )
        body = _read_body(stream, length, source)
        try:
            stream.crc(cid, body)
        except (SyntaxError, struct.error):
            raise WorkflowError(f"PNG {source} is corrupt: bad checksum in its {cid.decode('latin-1')} chunk") from None
        header = header or body
        if cid in _TEXT_CHUNKS:
            keyword, text = _decode_text_chunk(cid, body, source)
            texts.setdefault(keyword, text)
        seen_end = cid == b"IEND"
    _check_image_header(header, source)
    return texts


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _check_image_header(ihdr: bytes, source: str) -> None:
    """Let Pillow parse the header and apply its decompression-bomb limit.

    Pillow is handed only the IHDR (and an empty IDAT), so its own 1 MB text
    limit does not reject large ComfyUI workflows; the text was checked above.
    """
    from PIL import Image

    minimal = PNG_MAGIC + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", b"") + _chunk(b"IEND", b"")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(minimal), formats=["PNG"]) as image:
                image.size  # noqa: B018 - parsing the header is the check
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise WorkflowError(
            f"PNG {source} declares more pixels than Pillow's decompression-bomb limit (Image.MAX_IMAGE_PIXELS); refusing to read it"
        ) from None
    except (OSError, SyntaxError, ValueError, struct.error, EOFError) as exc:
        raise WorkflowError(f"PNG {source} is corrupt or truncated: {exc}") from None


def _next_chunk(stream: PngImagePlugin.ChunkStream, source: str) -> tuple[bytes, int]:
    try:
        cid, _pos, length = stream.read()
    except (struct.error, SyntaxError, ValueError):
        raise WorkflowError(f"PNG {source} is truncated or corrupt: it ends before its IEND chunk") from None
    if length < 0 or length > 0x7FFFFFFF:
        raise WorkflowError(f"PNG {source} is corrupt: chunk {cid!r} has an invalid length")
    return cid, length


def _read_body(stream: PngImagePlugin.ChunkStream, length: int, source: str) -> bytes:
    assert stream.fp is not None
    body = stream.fp.read(length)
    if len(body) < length:
        raise WorkflowError(f"PNG {source} is truncated: a chunk claims {length} bytes but only {len(body)} remain")
    return body


def _decode_text_chunk(cid: bytes, body: bytes, source: str) -> tuple[str, str]:
    keyword, sep, rest = body.partition(b"\0")
    if not sep:
        raise WorkflowError(f"PNG {source} is corrupt: a {cid.decode()} chunk has no keyword terminator")
    name = keyword.decode("latin-1")
    if cid == b"tEXt":
        return name, rest.decode("latin-1")
    if cid == b"zTXt":
        if not rest or rest[0] != 0:
            raise WorkflowError(f"PNG {source}: zTXt chunk {name!r} uses an unknown compression method")
        return name, _inflate(rest[1:], source, name).decode("latin-1")
    return name, _decode_itxt(rest, source, name)


def _decode_itxt(rest: bytes, source: str, name: str) -> str:
    if len(rest) < 2:
        raise WorkflowError(f"PNG {source} is corrupt: iTXt chunk {name!r} is too short")
    compressed, method = rest[0], rest[1]
    _language, sep1, rest = rest[2:].partition(b"\0")
    _translated, sep2, text = rest.partition(b"\0")
    if not (sep1 and sep2):
        raise WorkflowError(f"PNG {source} is corrupt: iTXt chunk {name!r} is malformed")
    if compressed:
        if method != 0:
            raise WorkflowError(f"PNG {source}: iTXt chunk {name!r} uses an unknown compression method")
        text = _inflate(text, source, name)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WorkflowError(f"PNG {source}: iTXt chunk {name!r} is not UTF-8 (byte {exc.start})") from None


def _inflate(data: bytes, source: str, name: str) -> bytes:
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, MAX_PNG_TEXT_CHUNK)
    except zlib.error as exc:
        raise WorkflowError(f"PNG {source}: compressed text chunk {name!r} is corrupt ({exc})") from None
    if inflater.unconsumed_tail:
        raise WorkflowError(
            f"PNG {source}: text chunk {name!r} inflates to more than {megabytes(MAX_PNG_TEXT_CHUNK)} (MAX_PNG_TEXT_CHUNK)"
        )
    return out
