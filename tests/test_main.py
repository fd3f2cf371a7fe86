"""The demo, ``python -m fastmtl``, runs and prints real results."""
import numpy as np
import pytest

from fastmtl.__main__ import main


def _rows(text, names):
    rows = {}
    for line in text.splitlines():
        name = line[:42].strip()
        if name in names:
            rows[name] = [float(v) for v in line[42:].split()]
    return rows


def test_demo_prints_real_data_comparisons_and_the_divergence_table(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    assert "1797 digit images, 10 classes" in text
    regression = _rows(text, {"per-task RidgeCV", "pooled RidgeCV", "RidgeCV + task one-hot",
                              "SharedLatentRegressorCV"})
    assert len(regression) == 4
    for rmse, seconds in regression.values():
        assert 5.0 < rmse < 8.0 and seconds > 0  # maths scores, sd about 7
    # The multi-task model beats the per-task and pooled fits on this split.
    ours = regression["SharedLatentRegressorCV"][0]
    assert ours < regression["per-task RidgeCV"][0] and ours < regression["pooled RidgeCV"][0]
    classification = _rows(text, {"per-task LogisticRegression",
                                  "pooled LogisticRegressionCV",
                                  "LogisticRegressionCV + task one-hot",
                                  "SharedLatentClassifierCV"})
    assert len(classification) == 4
    for loss, accuracy, seconds in classification.values():
        assert 0.5 < loss < 1.5 and 0.5 < accuracy < 0.8 and seconds > 0
    assert (classification["SharedLatentClassifierCV"][0]
            < classification["per-task LogisticRegression"][0])
    table = [line.split() for line in text.splitlines()
             if line.strip() and line.split()[0].isdigit() and len(line.split()) == 11]
    D = np.array([[float(v) for v in row[1:]] for row in table])
    assert D.shape == (10, 10)
    assert np.allclose(np.diag(D), 0) and np.allclose(D, D.T)
    assert ((D >= 0) & (D <= 1)).all()  # JS in bits
    assert "Most related classes" in text


@pytest.mark.parametrize("metric", ["kl", "symmetric_kl", "cross_entropy"])
def test_demo_metrics(capsys, metric):
    assert main(["--metric", metric, "--top", "2"]) == 0
    assert f"Pairwise {metric} divergence" in capsys.readouterr().out


def test_demo_help(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    assert "schools" in capsys.readouterr().out
