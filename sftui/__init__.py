"""sftui: a terminal client for ComfyUI."""

__version__ = "0.1.0"
