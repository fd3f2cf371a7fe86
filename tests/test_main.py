"""The demo, ``python -m fastmtl``, runs and prints real results."""
import numpy as np
import pytest

from fastmtl.__main__ import main


def test_demo_prints_the_divergence_table(capsys):
    assert main([]) == 0
    text = capsys.readouterr().out
    assert "1797 digit images, 10 classes" in text
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
