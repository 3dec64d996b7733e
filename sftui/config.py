"""Where sftui keeps things, and which server it talks to.

Resolution order, most specific first:

- database: ``--db PATH``, else ``$SFTUI_DB``, else ``$XDG_DATA_HOME/sftui/sftui.db``
- server:   ``--server URL``, else ``$SFTUI_SERVER``, else ``server`` in the config file,
  else ``http://127.0.0.1:8188``
- config:   ``$XDG_CONFIG_HOME/sftui/config.toml`` (``$SFTUI_CONFIG`` overrides)

Outputs live beside the database (``<db dir>/outputs/<session>/<generation>/``), so a
database given with ``--db`` carries its own images and never mixes with another's.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sftui.errors import UsageError

DEFAULT_SERVER = "http://127.0.0.1:8188"
APP_NAME = "sftui"
IMAGE_MODES = ("auto", "sixel", "tgp", "halfcell", "unicode", "off")


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / APP_NAME


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / APP_NAME


def config_path() -> Path:
    override = os.environ.get("SFTUI_CONFIG")
    return Path(override).expanduser() if override else config_dir() / "config.toml"


def default_db_path() -> Path:
    return data_dir() / "sftui.db"


def demo_db_path() -> Path:
    return data_dir() / "demo.db"


def log_path() -> Path:
    return data_dir() / "sftui.log"


def outputs_dir_for(db_path: Path) -> Path:
    return db_path.parent / "outputs"


@dataclass
class Config:
    """The user's config file, validated. Unknown keys are an error so typos surface."""

    server: str | None = None
    theme: str | None = None
    images: str = "auto"
    keymap: dict[str, str] = field(default_factory=dict)
    #: Extra HTTP headers (e.g. Authorization) sent to the server; never logged.
    headers: dict[str, str] = field(default_factory=dict)
    verify_tls: bool = True
    #: Prompts are kept out of the log unless the user asks for them.
    log_prompts: bool = False
    path: Path | None = None


_KNOWN_KEYS = {"server", "theme", "images", "keymap", "headers", "verify_tls", "log_prompts"}


def load_config(path: Path | None = None) -> Config:
    path = path or config_path()
    if not path.exists():
        return Config(path=path)
    import tomllib  # only with a config file to read (most runs have none)

    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"config file {path} is not valid TOML: {exc}") from None
    unknown = sorted(set(raw) - _KNOWN_KEYS)
    if unknown:
        raise UsageError(f"config file {path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(_KNOWN_KEYS))})")
    cfg = Config(path=path)
    if "server" in raw:
        cfg.server = _expect(raw, "server", str, path)
    if "theme" in raw:
        cfg.theme = _expect(raw, "theme", str, path)
    if "images" in raw:
        cfg.images = _expect(raw, "images", str, path)
        if cfg.images not in IMAGE_MODES:
            raise UsageError(f"config file {path}: images must be one of {', '.join(IMAGE_MODES)}")
    for table in ("keymap", "headers"):
        if table in raw:
            value = _expect(raw, table, dict, path)
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise UsageError(f"config file {path}: every [{table}] entry must be a string")
            setattr(cfg, table, dict(value))
    if "verify_tls" in raw:
        cfg.verify_tls = _expect(raw, "verify_tls", bool, path)
    if "log_prompts" in raw:
        cfg.log_prompts = _expect(raw, "log_prompts", bool, path)
    return cfg


def _expect(raw: dict[str, Any], key: str, kind: type, path: Path) -> Any:
    value = raw[key]
    if not isinstance(value, kind):
        raise UsageError(f"config file {path}: {key} must be a {kind.__name__}")
    return value


def resolve_db_path(cli_value: str | None) -> Path:
    if cli_value:
        return Path(cli_value).expanduser().resolve()
    env = os.environ.get("SFTUI_DB")
    if env:
        return Path(env).expanduser().resolve()
    return default_db_path()


def normalise_server_url(url: str) -> str:
    url = url.strip().rstrip("/")
    if "://" not in url:
        url = "http://" + url
    scheme = url.split("://", 1)[0].lower()
    if scheme not in ("http", "https"):
        raise UsageError(f"server URL {url!r} must start with http:// or https://")
    return url


def resolve_server(cli_value: str | None, config: Config | None = None) -> tuple[str, bool]:
    """The server URL, and whether the user chose it (as opposed to the default)."""
    if cli_value:
        return normalise_server_url(cli_value), True
    env = os.environ.get("SFTUI_SERVER")
    if env:
        return normalise_server_url(env), True
    if config and config.server:
        return normalise_server_url(config.server), True
    return DEFAULT_SERVER, False
