"""flask --app tourplanner COMMAND: one module per area in this folder, registered automatically."""

from __future__ import annotations

import importlib
import pkgutil

import click
from flask import Flask


def init_app(app: Flask) -> None:
    """Register every click command defined in a module of this package."""
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Command) and getattr(value.callback, "__module__", None) == module.__name__:
                app.cli.add_command(value)
