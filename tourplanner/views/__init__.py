"""Blueprints: one module per area in this folder, each with a `bp`, registered automatically."""

from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def register_blueprints(app: Flask) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        app.register_blueprint(module.bp)
