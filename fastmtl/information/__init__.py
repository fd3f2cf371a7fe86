"""Entropy, divergences and mutual information over many distributions at once."""
from ._api import (
    conditional_entropy,
    cross_entropy,
    entropy,
    js_divergence,
    kl_divergence,
    mutual_information,
    pairwise_divergence,
)

__all__ = [
    "conditional_entropy",
    "cross_entropy",
    "entropy",
    "js_divergence",
    "kl_divergence",
    "mutual_information",
    "pairwise_divergence",
]
