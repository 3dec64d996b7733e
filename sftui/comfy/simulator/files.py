"""``/view`` and ``/upload/image`` with ComfyUI's path checks and status codes."""

from __future__ import annotations

import hashlib
import io
import mimetypes
import os
from pathlib import Path
from typing import Any

from aiohttp import web
from PIL import Image

_UNSAFE_TYPES = {"text/html", "text/html-sandboxed", "application/xhtml+xml", "text/javascript", "text/css"}


class FileRoutes:
    def __init__(self, dirs: dict[str, Path]) -> None:
        self.dirs = {kind: os.path.abspath(path) for kind, path in dirs.items()}

    def _annotated(self, name: str) -> tuple[str, str | None]:
        for kind in ("output", "input", "temp"):
            suffix = f"[{kind}]"
            if name.endswith(suffix):
                return name[: -len(suffix) - 1], self.dirs[kind]
        return name, None

    async def view(self, request: web.Request) -> web.StreamResponse:
        query = request.rel_url.query
        if "filename" not in query:
            return web.Response(status=404)
        filename, folder = self._annotated(query["filename"])
        if not filename:
            return web.Response(status=400)
        if filename[0] == "/" or ".." in filename:
            return web.Response(status=400)
        if folder is None:
            folder = self.dirs.get(query.get("type", "output"))
        if folder is None:
            return web.Response(status=400)
        if "subfolder" in query:
            nested = os.path.join(folder, query["subfolder"])
            if os.path.commonpath((os.path.abspath(nested), folder)) != folder:
                return web.Response(status=403)
            folder = nested
        filename = os.path.basename(filename)
        path = os.path.join(folder, filename)
        if not os.path.isfile(path):
            return web.Response(status=404)
        disposition = {"Content-Disposition": f'filename="{filename}"'}
        if "preview" in query:
            return self._preview(path, query, disposition)
        channel = query.get("channel", "rgba")
        if channel in ("rgb", "a"):
            return web.Response(body=_channel(path, channel), content_type="image/png", headers=disposition)
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if content_type in _UNSAFE_TYPES:
            content_type = "application/octet-stream"
        return web.FileResponse(path, headers={**disposition, "Content-Type": content_type})

    def _preview(self, path: str, query: Any, disposition: dict[str, str]) -> web.Response:
        parts = query["preview"].split(";")
        image_format = parts[0]
        if image_format not in ("webp", "jpeg") or "a" in query.get("channel", ""):
            image_format = "webp"
        quality = int(parts[-1]) if parts[-1].isdigit() else 90
        out = io.BytesIO()
        with Image.open(path) as img:
            if image_format == "jpeg" or query.get("channel", "") == "rgb":
                img = img.convert("RGB")
            img.save(out, format=image_format, quality=quality)
        return web.Response(body=out.getvalue(), content_type=f"image/{image_format}", headers=disposition)

    async def upload_image(self, request: web.Request) -> web.Response:
        post = await request.post()
        image = post.get("image")
        kind = str(post.get("type") or "input")
        upload_dir = self.dirs.get(kind, self.dirs["input"])
        if not isinstance(image, web.FileField) or not image.filename:
            return web.Response(status=400)
        subfolder = str(post.get("subfolder", ""))
        folder = os.path.join(upload_dir, os.path.normpath(subfolder))
        filename = image.filename
        path = os.path.abspath(os.path.join(folder, filename))
        if os.path.commonpath((upload_dir, path)) != upload_dir:
            return web.Response(status=400)
        os.makedirs(folder, exist_ok=True)
        content = image.file.read()
        if post.get("overwrite") not in ("true", "1"):
            stem, ext = os.path.splitext(filename)
            counter = 1
            while os.path.exists(path):
                if _same_content(path, content):
                    return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})
                filename = f"{stem} ({counter}){ext}"
                path = os.path.join(folder, filename)
                counter += 1
        Path(path).write_bytes(content)
        return web.json_response({"name": filename, "subfolder": subfolder, "type": kind})


def _same_content(path: str, content: bytes) -> bool:
    return hashlib.sha256(Path(path).read_bytes()).digest() == hashlib.sha256(content).digest()


def _channel(path: str, channel: str) -> bytes:
    out = io.BytesIO()
    with Image.open(path) as img:
        if channel == "rgb":
            picture = img.convert("RGB")
        else:
            alpha = img.getchannel("A") if img.mode == "RGBA" else Image.new("L", img.size, 255)
            picture = Image.new("RGBA", img.size)
            picture.putalpha(alpha)
        picture.save(out, format="PNG")
    return out.getvalue()


def input_images(input_dir: Path) -> list[str]:
    """Files LoadImage offers: images directly in the input directory."""
    if not input_dir.is_dir():
        return []
    return sorted(p.name for p in input_dir.iterdir() if p.is_file() and (mimetypes.guess_type(p.name)[0] or "").startswith("image/"))
