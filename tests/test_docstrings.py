"""Docstrings: numpydoc-valid for every public object, and their Examples run."""
import doctest
import importlib
import inspect
import pkgutil
import warnings

import pytest
from numpydoc.validate import validate

import fastmtl

PUBLIC_MODULES = ["fastmtl", "fastmtl.information", "fastmtl.relatedness", "fastmtl.metrics",
                  "fastmtl.model_selection", "fastmtl.datasets", "fastmtl.distributed",
                  "fastmtl.exceptions"]

# numpydoc checks every public object passes. Not (yet) enforced: a See Also
# section (SA01), an extended summary (ES01), Examples everywhere (EX01),
# full stops and descriptions on every parameter and return line (PR07,
# RT02-RT04, SS05, SS06, GL02, SS01, SA03).
ENFORCED = {"GL01", "GL03", "GL05", "GL06", "GL07", "GL08", "GL09", "GL10", "PR01", "PR02",
            "PR03", "PR04", "PR05", "PR06", "PR08", "PR09", "PR10", "RT01", "RT05", "SA02",
            "SA04", "SS02", "SS03", "SS04", "YD01"}


def _public_objects():
    names = set()
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # constants (PAIRWISE_METRICS, SCORERS) have no numpydoc form
            names.add(f"{module_name}.{name}")
            if inspect.isclass(obj):
                for attr, value in inspect.getmembers(obj):
                    if (not attr.startswith("_") and inspect.isfunction(value)
                            and value.__module__.startswith("fastmtl")):
                        names.add(f"{module_name}.{name}.{attr}")
    return sorted(names)


@pytest.mark.parametrize("name", _public_objects())
def test_public_docstring_is_valid_numpydoc(name):
    errors = [f"{code}: {message}" for code, message in validate(name)["errors"]
              if code in ENFORCED]
    assert not errors, f"{name}:\n" + "\n".join(errors)


def _modules_with_examples():
    modules = []
    for info in pkgutil.walk_packages(fastmtl.__path__, "fastmtl."):
        if info.name.endswith(("._cuda", "._gpu", "._sgd_cuda")):
            continue  # GPU modules: their tests are tests/cuda
        module = importlib.import_module(info.name)
        if doctest.DocTestFinder().find(module) and any(
                t.examples for t in doctest.DocTestFinder().find(module)):
            modules.append(info.name)
    return modules


@pytest.mark.parametrize("module_name", _modules_with_examples())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in doctest.DocTestFinder().find(module):
            runner.run(test)
    assert runner.failures == 0, f"{runner.failures} failing example(s) in {module_name}"



def _entry_points():
    """Public classes and functions (not their methods, not the exceptions)."""
    names = []
    for module_name in PUBLIC_MODULES:
        if module_name == "fastmtl.exceptions":
            continue
        module = importlib.import_module(module_name)
        names += [f"{module_name}.{name}" for name in module.__all__
                  if inspect.isclass(getattr(module, name))
                  or inspect.isfunction(getattr(module, name))]
    return sorted(names)


@pytest.mark.parametrize("name", _entry_points())
def test_every_public_class_and_function_has_examples(name):
    assert not [code for code, _ in validate(name)["errors"] if code == "EX01"], (
        f"{name} has no Examples section")
