"""Entropy, divergences and mutual information over many distributions at once."""
from ._api import (
    PAIRWISE_METRICS,
    check_distributions,
    conditional_entropy,
    cross_entropy,
    entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
    pairwise_divergence,
)

__all__ = [
    "PAIRWISE_METRICS",
    "check_distributions",
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "pairwise_divergence",
]
