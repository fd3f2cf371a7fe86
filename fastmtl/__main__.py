"""``python -m fastmtl``: the demo on data shipped with scikit-learn.

1. Multi-task learning against independent per-task models, on two data sets
   bundled with scikit-learn: the digits as ten one-vs-rest tasks with few
   labelled samples per task, and linnerud's three physiological targets.
   Prints test scores and fit times.
2. How related the digit tasks are, with the information kernels: the
   pairwise divergence between the classes' pixel-ink distributions, and how
   much each pixel tells about the class (mutual information).
"""
import argparse
import sys
import time

import numpy as np

from .information import entropy, mutual_information, pairwise_divergence

_METRICS = ("js", "kl", "symmetric_kl", "cross_entropy")


def _parser():
    parser = argparse.ArgumentParser(
        prog="python -m fastmtl",
        description=(
            "fastmtl demo on data bundled with scikit-learn. (1) Fits the "
            "shared-latent multi-task models and independent per-task baselines "
            "on the digits (ten one-vs-rest tasks, few labels each) and on "
            "linnerud (three regression tasks), and prints test scores and fit "
            "times. (2) Shows how related the ten digit tasks are: the pairwise "
            "divergence between the classes' pixel-ink distributions and the "
            "pixels that carry the most information about the class."
        ),
    )
    parser.add_argument("--labels-per-task", type=int, default=20,
                        help="labelled training samples of each digit task (default: 20)")
    parser.add_argument("--components", type=int, default=10,
                        help="latent dimension of the digits model (default: 10)")
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed of the split and the models (default: 0)")
    parser.add_argument("--metric", choices=_METRICS, default="js",
                        help="divergence between classes (default: js)")
    parser.add_argument("--base", type=float, default=2.0,
                        help="logarithm base; 2 gives bits (default: 2)")
    parser.add_argument("--top", type=int, default=8,
                        help="how many informative pixels to list (default: 8)")
    return parser


def _ink_distributions(images, labels, classes):
    """Distribution of ink over the 64 pixels, one row per class.

    A pseudo-count of one ink unit per pixel keeps every pixel possible, so
    KL stays finite between classes.
    """
    ink = np.stack([images[labels == c].sum(axis=0) for c in classes]) + 1.0
    return ink / ink.sum(axis=1, keepdims=True)


def _pixel_class_tables(images, labels, classes, n_levels=4):
    """Joint table p(intensity level, class) for every pixel: (64, levels, classes)."""
    levels = np.minimum(images.astype(int) * n_levels // 17, n_levels - 1)
    tables = np.zeros((images.shape[1], n_levels, len(classes)))
    for c_index, c in enumerate(classes):
        for level in range(n_levels):
            tables[:, level, c_index] = (levels[labels == c] == level).sum(axis=0)
    return tables


def _timed_fit(model, X, Y):
    start = time.perf_counter()
    model.fit(X, Y)
    return time.perf_counter() - start


def _digits_tasks(images, labels, labels_per_task, seed):
    """Ten one-vs-rest tasks; each task sees the labels of only a few samples."""
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(
        images, labels, test_size=0.5, stratify=labels, random_state=seed)
    rng = np.random.default_rng(seed)
    Y_train = np.full((len(X_train), 10), np.nan)
    for task in range(10):
        # Half of each task's labelled samples are positives.
        pos = rng.choice(np.flatnonzero(y_train == task), labels_per_task // 2, replace=False)
        neg = rng.choice(np.flatnonzero(y_train != task), labels_per_task - len(pos),
                         replace=False)
        Y_train[pos, task], Y_train[neg, task] = 1.0, 0.0
    Y_test = (y_test[:, None] == np.arange(10)).astype(float)
    return X_train, Y_train, X_test, Y_test, y_test


def _digits_report(images, labels, args, out):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.preprocessing import StandardScaler

    from .datasets import unstack_tasks
    from .linear_model import SharedLatentClassifier

    X_train, Y_train, X_test, Y_test, y_test = _digits_tasks(
        images, labels, args.labels_per_task, args.seed)
    scaler = StandardScaler().fit(X_train)  # unlabelled samples may inform the scaling
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    shared = SharedLatentClassifier(args.components, alpha=0.03, max_iter=500,
                                    random_state=args.seed)
    t_shared = _timed_fit(shared, X_train, Y_train)
    scores_shared = shared.decision_function(X_test)

    X_tasks, y_tasks = unstack_tasks(X_train, Y_train)
    start = time.perf_counter()
    independent = [LogisticRegression().fit(X, y) for X, y in zip(X_tasks, y_tasks)]
    t_independent = time.perf_counter() - start
    scores_independent = np.column_stack([m.decision_function(X_test) for m in independent])

    out.write(f"Digits as 10 one-vs-rest tasks, {args.labels_per_task} labelled "
              f"training samples per task, {len(X_test)} test images:\n")
    out.write(f"  {'model':<40}{'mean AUC':>9}{'digit acc.':>11}{'fit (s)':>9}\n")
    for name, scores, seconds in [
        (f"SharedLatentClassifier(n_components={args.components})", scores_shared, t_shared),
        ("LogisticRegression per task", scores_independent, t_independent),
    ]:
        auc = np.mean([roc_auc_score(Y_test[:, t], scores[:, t]) for t in range(10)])
        accuracy = np.mean(np.argmax(scores, axis=1) == y_test)
        out.write(f"  {name:<40}{auc:>9.3f}{accuracy:>11.3f}{seconds:>9.3f}\n")
    out.write("  (digit acc.: the digit read off the ten task scores by argmax)\n\n")


def _linnerud_report(args, out):
    from sklearn.datasets import load_linnerud
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import KFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from .linear_model import SharedLatentRegressor
    from .metrics import r2_score

    data = load_linnerud()
    X, Y = data.data, data.target
    cv = KFold(5, shuffle=True, random_state=args.seed)
    models = [
        ("SharedLatentRegressor(n_components=1)",
         make_pipeline(StandardScaler(), SharedLatentRegressor(
             1, alpha=0.1, max_iter=500, random_state=args.seed))),
        ("RidgeCV per task", make_pipeline(StandardScaler(), RidgeCV(
            alphas=np.logspace(-2, 3, 11), alpha_per_target=True))),
    ]
    out.write(f"Linnerud: {len(X)} athletes, 3 exercise features, 3 tasks "
              f"({', '.join(data.target_names)}); 5-fold cross-validated R²:\n")
    out.write(f"  {'model':<40}{'mean R²':>9}{'fit (s)':>11}\n")
    for name, model in models:
        start = time.perf_counter()
        prediction = cross_val_predict(model, X, Y, cv=cv)
        seconds = (time.perf_counter() - start) / cv.get_n_splits()
        r2 = r2_score(Y, prediction, multioutput="uniform_average")
        out.write(f"  {name:<40}{r2:>9.3f}{seconds:>11.3f}\n")
    out.write("\n")


def main(argv=None):
    args = _parser().parse_args(argv)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.data, digits.target
    classes = np.unique(labels)
    out = sys.stdout
    out.write("fastmtl demo: multi-task models against independent per-task models\n\n")
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        _digits_report(images, labels, args, out)
        _linnerud_report(args, out)
    start = time.perf_counter()
    P = _ink_distributions(images, labels, classes)
    D = pairwise_divergence(P, metric=args.metric, base=args.base)
    H = entropy(P, base=args.base)
    tables = _pixel_class_tables(images, labels, classes)
    I = mutual_information(tables, normalize=True, base=args.base)
    elapsed = time.perf_counter() - start

    unit = "bits" if args.base == 2 else f"log base {args.base:g}"
    out.write(f"How related are the digit tasks? {len(images)} digit images, {len(classes)} classes "
              f"(tasks), {images.shape[1]} pixels\n\n")
    out.write(f"Pairwise {args.metric} divergence between the classes' pixel-ink "
              f"distributions ({unit}):\n")
    out.write("      " + "".join(f"{c:>7d}" for c in classes) + "\n")
    for c, row in zip(classes, D):
        out.write(f"{c:>5d} " + "".join(f"{v:7.3f}" for v in row) + "\n")
    off_diagonal = D + np.diag(np.full(len(classes), np.inf))
    i, j = np.unravel_index(np.argmin(off_diagonal), D.shape)
    far_i, far_j = np.unravel_index(np.argmax(np.where(np.isfinite(D), D, -1)), D.shape)
    out.write(f"\nMost related classes: {classes[i]} and {classes[j]} "
              f"({D[i, j]:.3f}); least related: {classes[far_i]} and "
              f"{classes[far_j]} ({D[far_i, far_j]:.3f}).\n")
    out.write(f"Entropy of each class's ink distribution ({unit}): "
              + ", ".join(f"{c}: {h:.2f}" for c, h in zip(classes, H)) + "\n")
    order = np.argsort(I)[::-1][: args.top]
    out.write(f"\nPixels that tell most about the class, I(intensity; class) in {unit}:\n")
    for pixel in order:
        out.write(f"  pixel ({pixel // 8}, {pixel % 8}): {I[pixel]:.3f}\n")
    out.write(f"\nComputed in {elapsed * 1e3:.1f} ms.\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
