"""The demo, ``python -m fastmtl``, runs and prints real results."""
import numpy as np
import pytest

from fastmtl.__main__ import main


def test_demo_prints_the_divergence_table(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    assert "1797 digit images, 10 classes" in text
    rows = {}
    for line in text.splitlines():
        name = line[:42].strip()
        if name.startswith(("SharedLatent", "LogisticRegression", "RidgeCV")):
            rows[name] = [float(v) for v in line[42:].split()]
    assert len(rows) == 4
    digits = [v for k, v in rows.items() if "Classifier" in k or "Logistic" in k]
    linnerud = [v for k, v in rows.items() if "Regressor" in k or "Ridge" in k]
    for auc, accuracy, seconds in digits:
        assert 0.8 < auc <= 1.0 and 0.1 < accuracy <= 1.0 and seconds > 0
    for r2, seconds in linnerud:
        assert r2 <= 1.0 and seconds > 0
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
    assert "digits" in capsys.readouterr().out
