"""The fast regional layers compute the authors' per-region loop, for any partition."""

import numpy as np
import pytest
import torch
from conftest import random_model, tiny_config
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.nn import functional as F

from e4s_core.imageio import labels_to_tensor
from e4s_core.network.modulated import ModulatedConv2d
from e4s_core.network.regional import RegionLayout, upsampling_window_kernels
from e4s_core.synthetic_layout import ellipse_face_labels

TOLERANCE = dict(atol=2e-5, rtol=1e-5)


def render_both(model, labels: torch.Tensor, seed: int = 0):
    torch.manual_seed(seed)
    vectors = torch.randn(labels.shape[0], model.config.num_regions, model.config.vector_dim) * 2
    with torch.no_grad():
        codes = model.style_codes(vectors)
        return model.render(codes, labels), model.render(codes, labels, reference=True)


def speckle_labels(size: int, seed: int, regions: int = 12) -> torch.Tensor:
    """Independent random label per pixel: every pixel is a border pixel."""
    return torch.from_numpy(np.random.default_rng(seed).integers(0, regions, (size, size)))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fast_render_equals_reference_loop_on_face_layouts(seed):
    model = random_model(seed=seed)
    labels = labels_to_tensor(ellipse_face_labels(64, seed=seed))
    fast, loop = render_both(model, labels, seed)
    torch.testing.assert_close(fast, loop, **TOLERANCE)


def test_fast_render_equals_reference_loop_when_every_pixel_is_a_border():
    model = random_model(seed=3)
    fast, loop = render_both(model, speckle_labels(64, seed=3)[None].long())
    torch.testing.assert_close(fast, loop, **TOLERANCE)


def test_fast_render_handles_empty_and_one_pixel_regions():
    labels = torch.full((64, 64), 6, dtype=torch.long)  # skin everywhere, ten regions empty
    labels[40, 17] = 11  # a one-pixel earring
    model = random_model(seed=4)
    fast, loop = render_both(model, labels[None])
    torch.testing.assert_close(fast, loop, **TOLERANCE)


def test_fast_render_handles_a_batch_of_different_layouts():
    labels = torch.stack([torch.from_numpy(ellipse_face_labels(64, seed=s)).long() for s in (5, 6)])
    labels[1, :8] = 0
    fast, loop = render_both(random_model(seed=5), labels)
    torch.testing.assert_close(fast, loop, **TOLERANCE)
    assert not torch.allclose(fast[0], fast[1])


@pytest.mark.parametrize("label_size", [32, 48, 128])
def test_fast_render_equals_loop_for_label_maps_of_other_sizes(label_size):
    labels = labels_to_tensor(ellipse_face_labels(label_size, seed=7))
    fast, loop = render_both(random_model(seed=7), labels)
    torch.testing.assert_close(fast, loop, **TOLERANCE)


def test_fast_render_equals_loop_when_every_layer_is_regional():
    model = random_model(tiny_config(regional_layers=10), seed=8)
    fast, loop = render_both(model, labels_to_tensor(ellipse_face_labels(64, seed=8)))
    torch.testing.assert_close(fast, loop, **TOLERANCE)


def test_codes_of_an_absent_region_do_not_change_the_image():
    model = random_model(seed=9)
    labels = labels_to_tensor(ellipse_face_labels(64, seed=9))
    labels[labels == 10] = 6  # no glasses
    with torch.no_grad():
        codes = model.style_codes(torch.randn(1, 12, model.config.vector_dim))
        before = model.render(codes, labels)
        codes[:, 10] += 5.0
        after = model.render(codes, labels)
    assert torch.equal(before, after)


def test_fast_path_gradients_match_the_reference_loop():
    model = random_model(seed=10)
    labels = labels_to_tensor(ellipse_face_labels(64, seed=10))
    grads = []
    for reference in (False, True):
        vectors = torch.randn(1, 12, model.config.vector_dim, generator=torch.Generator().manual_seed(1))
        vectors.requires_grad_(True)
        image = model.render(model.style_codes(vectors), labels, reference=reference)
        image.square().mean().backward()
        grads.append(vectors.grad)
    torch.testing.assert_close(grads[0], grads[1], atol=1e-6, rtol=1e-4)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    size=st.sampled_from([4, 5, 8, 11]),
    regions=st.integers(1, 5),
    upsample=st.booleans(),
    kernel_size=st.sampled_from([1, 3]),
)
def test_modulated_layer_fast_path_equals_loop(seed, size, regions, upsample, kernel_size):
    if upsample and kernel_size == 1:
        kernel_size = 3  # the generator only upsamples with 3x3 kernels
    generator = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    layer = ModulatedConv2d(6, 5, kernel_size, 8, upsample=upsample, demodulate=seed % 3 != 0)
    out_size = size * 2 if upsample else size
    labels = torch.randint(0, regions, (2, out_size, out_size), generator=generator)
    layout = RegionLayout(labels, regions)
    x = torch.randn(2, 6, size, size, generator=generator)
    w = torch.randn(2, regions, 8, generator=generator)
    with torch.no_grad():
        fast = layer.forward_regional(x, w, layout)
        loop = layer.forward_masked_loop(x, w, layout.masks(out_size, x.dtype))
    torch.testing.assert_close(fast, loop, atol=1e-5, rtol=1e-5)


def test_upsampling_window_kernels_equal_transposed_conv_then_blur():
    torch.manual_seed(0)
    layer = ModulatedConv2d(4, 3, 3, 8, upsample=True)
    weight = torch.randn(3, 4, 3, 3)
    x = torch.randn(1, 4, 6, 6)
    expected = layer.blur(F.conv_transpose2d(x, weight.transpose(0, 1), stride=2))  # [1, 3, 12, 12]
    kernels = upsampling_window_kernels(weight, layer.blur.kernel)  # [4, Cout, Cin, 3, 3]
    for phase in range(4):
        py, px = divmod(phase, 2)
        phase_out = F.conv2d(x, kernels[phase], padding=1)
        torch.testing.assert_close(expected[..., py::2, px::2], phase_out, atol=1e-5, rtol=1e-5)


def test_border_sites_are_only_pixels_next_to_another_region():
    labels = torch.zeros(1, 16, 16, dtype=torch.long)
    labels[:, :, 8:] = 1  # one vertical border between columns 7 and 8
    border = RegionLayout(labels, 2).border_sites(16, 1, 3)
    columns = set((border.output_row % 16).tolist())
    assert columns == {7, 8}
    assert border.count == 32
