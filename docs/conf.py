"""Sphinx configuration: the API reference, the guide (the README) and the examples.

Build from the repository root with
``python -m sphinx -W -b html docs docs/_build/html``. The API pages are
written from each public module's ``__all__`` at build time (``docs/api/``),
and the examples page from the scripts in ``examples/`` (``docs/examples.md``);
neither is kept in git, so they cannot drift from the package and the scripts.
"""
import ast
import importlib
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # autodoc imports the display module; no window, ever

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import fastmtl  # noqa: E402

project = "fastmtl"
author = "The fastmtl developers"
copyright = "the fastmtl developers"
release = fastmtl.__version__
version = release

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "images/*.py"]
templates_path = ["_templates"]
html_theme = "alabaster"
html_static_path = []

myst_heading_anchors = 3
autosummary_generate = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False  # the class template lists the methods
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# One page per public module, listing exactly its ``__all__``. The top-level
# package re-exports the information functions: they are documented once,
# under ``fastmtl.information``, and the package page lists its estimators.
PUBLIC_MODULES = {
    "fastmtl": "Multi-task estimators",
    "fastmtl.information": "Information-theory kernels",
    "fastmtl.relatedness": "Task relatedness",
    "fastmtl.model_selection": "Model selection",
    "fastmtl.metrics": "Metrics and scorers",
    "fastmtl.datasets": "Data sets",
    "fastmtl.distributed": "Dask integration",
    "fastmtl.exceptions": "Exceptions",
}


def _documented_names(module_name):
    module = importlib.import_module(module_name)
    names = []
    for name in module.__all__:
        obj = getattr(module, name)
        home = getattr(obj, "__module__", module_name) or module_name
        if module_name == "fastmtl" and home.startswith("fastmtl.information"):
            continue
        names.append(name)
    return module, names


def write_api_pages():
    api = HERE / "api"
    api.mkdir(exist_ok=True)
    toc = []
    for module_name, title in PUBLIC_MODULES.items():
        module, names = _documented_names(module_name)
        lines = [f"{title}: ``{module_name}``", "=" * (len(title) + len(module_name) + 6), "",
                 f".. automodule:: {module_name}", "   :no-members:", "",
                 f".. currentmodule:: {module_name}", ""]
        if module_name == "fastmtl":
            lines += ["The information functions are importable from here too; "
                      "they are documented in :doc:`fastmtl.information`.", ""]
        lines += [".. autosummary::", "   :toctree: generated", "   :nosignatures:", ""]
        lines += [f"   {name}" for name in names] + [""]
        _write_if_changed(api / f"{module_name}.rst", "\n".join(lines))
        toc.append(f"   {module_name}")
    index = "\n".join(["API reference", "=============", "",
                       "Every public object, module by module.", "",
                       ".. toctree::", "   :maxdepth: 1", ""] + toc) + "\n"
    _write_if_changed(api / "index.rst", index)


def _write_if_changed(path, text):
    # Rewriting an unchanged page would make Sphinx rebuild it every time.
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


# The examples, in the order a reader meets the ideas.
EXAMPLES = ["schools_regression", "districts_grid_search", "new_classes",
            "relatedness_heatmap"]


def write_examples_page():
    """One section per script: its docstring as prose, then the code after it."""
    parts = ["# Examples", "",
             "Runnable scripts on real multi-level data. Each runs in seconds",
             "(`python examples/NAME.py` from the repository root) and the test",
             "suite runs every one of them.", ""]
    for name in EXAMPLES:
        path = HERE.parent / "examples" / f"{name}.py"
        module = ast.parse(path.read_text())
        title, _, body = ast.get_docstring(module).partition("\n")
        first_code_line = module.body[1].lineno  # body[0] is the docstring
        parts += [f"## {title.rstrip('.')}", "", body.strip(), "",
                  f"```{{literalinclude}} ../examples/{name}.py", ":language: python",
                  f":lines: {first_code_line}-", "```", ""]
    _write_if_changed(HERE / "examples.md", "\n".join(parts))


def setup(app):
    """Write the generated pages before Sphinx reads the sources."""
    write_api_pages()
    write_examples_page()
