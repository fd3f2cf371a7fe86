"""Which schools behave alike? A heatmap of the divergence between predictions.

After fitting a multi-task model on the Exam data (65 schools), we compare
the schools' predictive distributions (Gaussians with each school's residual
variance) on the same pupils: the symmetric KL divergence between school s
and school t is small when a pupil would be expected to score alike in both.
The heatmap orders the schools by hierarchical clustering; the divergence can
also serve as a ``task_graph`` for the estimators.

Run it with ``python examples/relatedness_heatmap.py [output.png]``.
"""
import sys

import numpy as np

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from fastmtl import SharedLatentRegressorCV
from fastmtl.datasets import load_exam
from fastmtl.relatedness import (TaskRelatednessDisplay, prediction_divergence,
                                 relatedness_to_graph)

X, Y = load_exam(return_X_y=True)
model = make_pipeline(StandardScaler(), SharedLatentRegressorCV()).fit(X, Y)
sample = X[::10]                        # a few hundred pupils are enough to compare

D = prediction_divergence(model, sample, kind="symmetric_kl")
A = relatedness_to_graph(D, "divergence")   # for task_graph=A
print(f"symmetric KL between schools: median {float(np.median(D)):.3f}, "
      f"largest {D.max():.3f}; graph weights in [{A.min():.2f}, {A.max():.2f}]")

display = TaskRelatednessDisplay.from_estimator(model, sample, None, kind="prediction_symmetric_kl",
                                                order="cluster")
display.figure_.set_size_inches(8, 7)
out = sys.argv[1] if len(sys.argv) > 1 else "exam_school_divergence.png"
display.figure_.savefig(out, dpi=80)
plt.close(display.figure_)
print(f"wrote {out}")
