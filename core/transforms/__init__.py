"""Registered transforms steps: every module in this package is imported here so its @register runs.

Modules must stay light at import time (heavy libraries load in a step's setup()).
"""

import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
