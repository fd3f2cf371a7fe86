"""The wheel: it builds, holds the licence and the package (not the tests), and
``python -m fastmtl --help`` runs from a fresh virtual environment it is
installed into."""
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(*command, cwd):
    done = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_the_wheel_installs_into_a_fresh_environment_and_runs(tmp_path):
    dist = tmp_path / "dist"
    _run(sys.executable, "-m", "pip", "wheel", ROOT, "--no-deps", "-q", "-w", dist, cwd=tmp_path)
    (wheel,) = dist.glob("fastmtl_learn-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert "fastmtl/__main__.py" in names and "fastmtl/linear_model/_solvers/_exact.py" in names
    assert not any(n.startswith(("tests/", "examples/", "docs/", "asv_benchmarks/"))
                   for n in names)
    metadata = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "Name: fastmtl-learn" in metadata and "License-Expression: BSD-3-Clause" in metadata

    # A fresh environment, without this checkout's editable install. Its
    # dependencies come from the running environment's site-packages (a path
    # in a .pth file: that directory's own .pth files, the editable finder
    # among them, are not run), so the test needs no network.
    env = tmp_path / "env"
    venv.create(env, with_pip=False)
    python = env / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
                     cwd=tmp_path).strip())
    (site / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "-q", wheel,
         cwd=tmp_path)

    where = _run(python, "-c", "import fastmtl; print(fastmtl.__file__)", cwd=tmp_path)
    assert Path(where.strip()).is_relative_to(env)
    assert "schools" in _run(python, "-m", "fastmtl", "--help", cwd=tmp_path)
