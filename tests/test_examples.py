"""The scripts in examples/ run and show what they say they show."""
import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _run(name, *args, cwd):
    done = subprocess.run([sys.executable, str(EXAMPLES / f"{name}.py"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _scores(text):
    """``name  value`` lines: the name and the last number on the line."""
    return {m.group(1).strip(): float(m.group(2))
            for m in re.finditer(r"^\s+(\S.*?)\s{2,}(?:test RMSE )?([0-9.]+)$", text, re.M)}


def test_every_example_is_on_the_examples_page():
    sys.path.insert(0, str(EXAMPLES.parent / "docs"))
    try:
        import conf
    finally:
        sys.path.pop(0)
    assert sorted(conf.EXAMPLES) == sorted(p.stem for p in EXAMPLES.glob("*.py"))


def test_schools_regression_beats_the_per_task_and_pooled_fits(tmp_path):
    scores = _scores(_run("schools_regression", cwd=tmp_path))
    assert len(scores) == 4
    assert all(0.5 < rmse < 1.2 for rmse in scores.values())  # standardised exam scores
    ours = scores["SharedLatentRegressorCV"]
    assert ours < scores["ridge per school"] and ours < scores["pooled ridge"]


def test_districts_grid_search_tunes_on_nan_labels_without_certain_probabilities(tmp_path):
    text = _run("districts_grid_search", cwd=tmp_path)
    assert "best penalties: {'sharedlatentclassifier__alpha'" in text
    cv_loss, cv_accuracy = map(float, re.search(
        r"cross-validated log loss ([0-9.]+), accuracy ([0-9.]+)", text).groups())
    test_loss, smallest = map(float, re.search(
        r"test log loss ([0-9.]+); smallest predicted class probability ([0-9.e-]+)",
        text).groups())
    assert 0.5 < cv_loss < 0.69 and 0.55 < cv_accuracy < 0.8  # better than a coin
    assert test_loss < 0.69 and smallest > 1e-3
    assert int(re.search(r"(\d+) see a single class", text).group(1)) > 0


def test_new_classes_from_five_pupils_match_a_refit(tmp_path):
    scores = _scores(_run("new_classes", cwd=tmp_path))
    new, refit, alone = (scores["fit_new_tasks"], scores["refit the whole model"],
                         scores["ridge per new class"])
    assert new < alone
    assert abs(new - refit) < 0.02 * refit


def test_relatedness_heatmap_writes_the_picture(tmp_path):
    out = tmp_path / "divergence.png"
    text = _run("relatedness_heatmap", str(out), cwd=tmp_path)
    assert "symmetric KL between schools" in text
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
