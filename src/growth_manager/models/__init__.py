"""All ORM models. Importing this package registers every table on ``Base.metadata``."""

from __future__ import annotations

import importlib
import pkgutil

from growth_manager.models.base import Base

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["Base"]
