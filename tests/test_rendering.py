"""Rendering a face state: label geometry reused while only textures change, same pixels either way."""

import numpy as np
from conftest import random_model

from e4s_core.rendering import LayoutCache, render_face
from e4s_core.synthetic_layout import ellipse_face_labels


def test_layout_is_rebuilt_only_when_the_mask_changes():
    model, cache = random_model(), LayoutCache()
    labels = ellipse_face_labels(64, seed=1)
    first = cache.get(model, labels)
    assert cache.get(model, labels.copy()) is first  # same mask, new array
    edited = labels.copy()
    edited[10, 10] = 4
    assert cache.get(model, edited) is not first


def test_cached_layout_renders_the_same_pixels():
    model, cache = random_model(), LayoutCache()
    labels = ellipse_face_labels(64, seed=2)
    vectors = np.random.default_rng(0).normal(size=(12, model.config.vector_dim)).astype(np.float32)
    plain = render_face(model, labels, vectors)
    assert np.array_equal(render_face(model, labels, vectors, layouts=cache), plain)
    assert np.array_equal(render_face(model, labels, vectors, layouts=cache), plain)
