"""tools/make_notebooks.py loaded as a module (tools/ is not a package), for the notebook tests."""

from __future__ import annotations

import functools
import importlib.util
import sys
from pathlib import Path

GENERATOR = Path(__file__).resolve().parents[1] / "tools" / "make_notebooks.py"


@functools.cache
def tool():
    spec = importlib.util.spec_from_file_location("_chainviz_make_notebooks", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module
