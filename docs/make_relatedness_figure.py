"""Make docs/images/digits_task_relatedness.png, the README's relatedness heatmap.

The digits are ten one-vs-rest tasks ("is it a 3?") with 20 labelled images
each, as in ``python -m fastmtl``, fitted together by a shared-latent
classifier with a 2-dimensional shared space, so that the tasks compete for
it. The heatmap shows the cosine between the tasks' loss gradients with
respect to the shared projection, on held-out images, with the tasks grouped
by hierarchical clustering.

Run from the repository root: ``python docs/make_relatedness_figure.py``.
"""
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentClassifier
from fastmtl.__main__ import _digits_tasks
from fastmtl.relatedness import TaskRelatednessDisplay

OUT = Path(__file__).parent / "images" / "digits_task_relatedness.png"


def main():
    digits = load_digits()
    X_train, Y_train, X_test, Y_test, _ = _digits_tasks(
        digits.data, digits.target, labels_per_task=20, seed=0)
    model = make_pipeline(StandardScaler(), SharedLatentClassifier(
        n_components=2, alpha=0.03, max_iter=500, random_state=0))
    model.fit(X_train, Y_train)
    fig, ax = plt.subplots(figsize=(7, 6))
    TaskRelatednessDisplay.from_estimator(
        model, X_test, Y_test, kind="gradient", order="cluster", ax=ax,
        task_names=[f"is {d}" for d in range(10)])
    ax.set_title("Digits as 10 one-vs-rest tasks:\n"
                 "cosine of the tasks' gradients w.r.t. the shared 2-D projection")
    fig.tight_layout()
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, dpi=90)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
