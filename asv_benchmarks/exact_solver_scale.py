"""Exact fits of the low-rank model on real data, raw and standardised.

    python asv_benchmarks/exact_solver_scale.py

For Exam, Hsb82 and nlschools (the whole data, one school or class = one
task), ``SharedLatentRegressor(k)`` with k = 2 and 5, solved exactly from
three random starts, on the features as loaded and standardised: the summed
fit time, the iterations of each fit and its training R^2. Run it in two
checkouts (``PYTHONPATH`` pointing at the other one) to compare revisions.
"""
import time
import warnings

import numpy as np
from sklearn.preprocessing import StandardScaler

import fastmtl
from fastmtl import SharedLatentRegressor
from fastmtl.datasets import load_exam, load_hsb82, load_nlschools


def main():
    warnings.simplefilter("ignore")
    print("fastmtl at", fastmtl.__file__)
    for name, load in [("Exam", load_exam), ("Hsb82", load_hsb82),
                       ("nlschools", load_nlschools)]:
        X, Y = load(return_X_y=True)
        for standardised in (True, False):
            features = StandardScaler().fit_transform(X) if standardised else X
            for k in (2, 5):
                times, iterations, scores = [], [], []
                for seed in range(3):
                    start = time.perf_counter()
                    model = SharedLatentRegressor(k, random_state=seed).fit(features, Y)
                    times.append(time.perf_counter() - start)
                    iterations.append(model.n_iter_)
                    scores.append(model.score(features, Y))
                print(f"{name:10s} {'standardised' if standardised else 'raw':12s} k={k} "
                      f"time={sum(times):6.2f} s iterations={iterations} "
                      f"R2={np.round(scores, 5).tolist()}", flush=True)


if __name__ == "__main__":
    main()
