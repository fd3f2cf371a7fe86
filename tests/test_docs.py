"""The documentation builds with no warning, and covers every public object."""
import importlib
import subprocess
import sys
from pathlib import Path

import fastmtl.information

ROOT = Path(__file__).resolve().parents[1]


def test_sphinx_builds_the_docs_without_a_warning(tmp_path):
    html = tmp_path / "html"
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-E", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(ROOT / "docs"), str(html)],
        cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert not done.stderr.strip(), done.stderr[-4000:]
    for page in ("index", "guide", "examples", "api/index", "performance", "design",
                 "model_selection"):
        assert (html / f"{page}.html").is_file(), page
    # Every exported object has its page; the package's re-exported
    # information functions are documented once, under fastmtl.information.
    sys.path.insert(0, str(ROOT / "docs"))
    try:
        import conf
    finally:
        sys.path.pop(0)
    for module_name in conf.PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        _, names = conf._documented_names(module_name)
        assert set(module.__all__) - set(names) <= set(fastmtl.information.__all__)
        for name in names:
            assert (html / "api" / "generated" / f"{module_name}.{name}.html").is_file(), name
    guide = (html / "guide.html").read_text()
    assert "digits_task_relatedness.png" in guide and "SharedLatentRegressorCV" in guide
    examples = (html / "examples.html").read_text()
    assert examples.count('class="highlight-python') >= len(conf.EXAMPLES)
