"""Every Python code block of README.md runs.

Blocks run in order, each in a fresh namespace, in a temporary directory.
Sizes may shrink (the README shows realistic ones); the code is the README's.
"""
import pathlib
import re
import warnings

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"

# Literal replacements that make a block quick in the test, by block heading.
SMALLER = {
    "Scaling out": {"(10_000_000, 50), chunks=(500_000, 50)": "(20_000, 50), chunks=(5_000, 50)",
                    "(10_000_000, 4)": "(20_000, 4)",
                    "(100_000, 32), chunks=(10_000, 32)": "(2_000, 32), chunks=(500, 32)",
                    "P[:20_000]": "P[:300]"},
    "Quick tour": {"200_000": "2_000"},
}


def _python_blocks():
    text = README.read_text()
    blocks = []
    for match in re.finditer(r"```python\n(.*?)```", text, flags=re.S):
        heading = re.findall(r"^## (.+)$", text[:match.start()], flags=re.M)
        blocks.append((heading[-1] if heading else "top", match.group(1)))
    return blocks


BLOCKS = _python_blocks()


def test_readme_has_python_blocks():
    assert len(BLOCKS) >= 4


@pytest.mark.parametrize("heading, code", BLOCKS, ids=[h for h, _ in BLOCKS])
def test_readme_block_runs(heading, code, tmp_path, monkeypatch):
    if heading == "Scaling out":
        pytest.importorskip("distributed")
    for old, new in SMALLER.get(heading, {}).items():
        assert old in code, f"{old!r} is no longer in the {heading!r} block"
        code = code.replace(old, new)
    monkeypatch.chdir(tmp_path)
    import matplotlib

    matplotlib.use("Agg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence notes of the tiny runs
        exec(compile(code, f"README.md [{heading}]", "exec"), {"__name__": "__readme__"})
