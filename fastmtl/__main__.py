"""``python -m fastmtl``: the demo on data shipped with scikit-learn.

Treats each digit class of scikit-learn's bundled digits data as a task and
measures how the tasks relate with the information kernels: the pairwise
divergence between the classes' pixel-ink distributions, and how much each
pixel tells about the class (mutual information).
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
            "fastmtl demo on scikit-learn's bundled digits data: how related "
            "are the ten digit classes (one task each)? Prints the pairwise "
            "divergence between the classes' pixel-ink distributions and the "
            "pixels that carry the most information about the class."
        ),
    )
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


def main(argv=None):
    args = _parser().parse_args(argv)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images, labels = digits.data, digits.target
    classes = np.unique(labels)
    start = time.perf_counter()
    P = _ink_distributions(images, labels, classes)
    D = pairwise_divergence(P, metric=args.metric, base=args.base)
    H = entropy(P, base=args.base)
    tables = _pixel_class_tables(images, labels, classes)
    I = mutual_information(tables, normalize=True, base=args.base)
    elapsed = time.perf_counter() - start

    unit = "bits" if args.base == 2 else f"log base {args.base:g}"
    out = sys.stdout
    out.write(f"fastmtl demo: {len(images)} digit images, {len(classes)} classes "
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
