"""What every command needs: the config, the database, the server."""

from __future__ import annotations

import argparse
from functools import cached_property
from pathlib import Path

from sftui import config as cfg


class Context:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.as_json: bool = bool(getattr(args, "json", False))

    @cached_property
    def config(self) -> cfg.Config:
        return cfg.load_config()

    @cached_property
    def db_path(self) -> Path:
        return cfg.resolve_db_path(getattr(self.args, "db", None))

    @property
    def data_dir(self) -> Path:
        return self.db_path.parent

    def open_db(self) -> Path:
        from sftui.db import open_database

        open_database(self.db_path)
        return self.db_path

    @cached_property
    def server_url(self) -> str:
        return cfg.resolve_server(getattr(self.args, "server", None), self.config)[0]

    def client(self):
        from sftui.comfy.client import ComfyClient

        return ComfyClient(
            self.server_url,
            headers=self.config.headers or None,
            verify=self.config.verify_tls,
            cache_dir=cfg.cache_dir() / "object_info",
        )
