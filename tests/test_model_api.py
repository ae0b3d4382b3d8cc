"""encode -> style_codes -> render: shapes, exact invariants, determinism, clear input errors."""

import pytest
import torch
from conftest import random_model

from e4s_core import InputError
from e4s_core.imageio import labels_to_tensor
from e4s_core.synthetic_layout import ellipse_face_labels


@pytest.fixture
def face():
    labels = labels_to_tensor(ellipse_face_labels(64, seed=1))
    image = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(1)) * 2 - 1
    return image, labels


def test_encode_gives_one_vector_per_region(tiny_model, face):
    vectors = tiny_model.encode(*face)
    assert vectors.shape == (1, 12, tiny_model.config.vector_dim) and vectors.dtype == torch.float32


def test_absent_region_gets_an_exactly_zero_vector(tiny_model, face):
    image, labels = face
    labels = labels.clone()
    labels[labels == 10] = 6
    vectors = tiny_model.encode(image, labels)
    assert torch.count_nonzero(vectors[0, 10]) == 0
    assert torch.count_nonzero(vectors[0, 6]) > 0


def test_shared_code_rows_equal_latent_avg_exactly(tiny_model, face):
    codes = tiny_model.style_codes(tiny_model.encode(*face))
    k = tiny_model.config.regional_layers
    assert codes.shape == (1, 12, tiny_model.config.num_w_layers, tiny_model.config.style_dim)
    assert torch.equal(codes[:, :, k:], tiny_model.network.latent_avg[k:].expand_as(codes[:, :, k:]))


def test_render_is_deterministic_with_stored_noise(tiny_model, face):
    codes = tiny_model.style_codes(tiny_model.encode(*face))
    first = tiny_model.render(codes, face[1])
    assert first.shape == (1, 3, 64, 64)
    assert torch.equal(first, tiny_model.render(codes, face[1]))


def test_random_noise_is_an_explicit_and_seedable_option(tiny_model, face):
    codes = tiny_model.style_codes(tiny_model.encode(*face))
    a = tiny_model.render(codes, face[1], noise="random", generator=torch.Generator().manual_seed(3))
    b = tiny_model.render(codes, face[1], noise="random", generator=torch.Generator().manual_seed(3))
    c = tiny_model.render(codes, face[1], noise="random", generator=torch.Generator().manual_seed(4))
    stored = tiny_model.render(codes, face[1])
    assert torch.equal(a, b) and not torch.equal(a, c) and not torch.equal(a, stored)


def test_preview_size_returns_the_rgb_skip_without_running_larger_blocks(tiny_model, face):
    codes = tiny_model.style_codes(tiny_model.encode(*face))
    G = tiny_model.network.G
    captured, ran_large = {}, []
    hooks = [G.to_rgbs[2].register_forward_hook(lambda m, i, o: captured.setdefault("skip32", o))]
    hooks += [G.convs[i].register_forward_hook(lambda m, i, o: ran_large.append(1)) for i in (6, 7)]
    tiny_model.render(codes, face[1])
    assert len(ran_large) == 2
    ran_large.clear()
    preview = tiny_model.render(codes, face[1], size=32)
    for hook in hooks:
        hook.remove()
    assert preview.shape == (1, 3, 32, 32)
    assert torch.equal(preview, captured["skip32"])
    assert ran_large == []


def test_a_layout_can_be_reused_across_renders(tiny_model, face):
    codes = tiny_model.style_codes(tiny_model.encode(*face))
    layout = tiny_model.layout(face[1])
    assert torch.equal(tiny_model.render(codes, layout), tiny_model.render(codes, face[1]))


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda m, x, y: m.encode(x, y + 12), "region ids 0..11"),
        (lambda m, x, y: m.encode(x, y.float()), "integer region ids"),
        (lambda m, x, y: m.encode(x[..., :100], y), "square"),
        (lambda m, x, y: m.encode((x * 127).to(torch.uint8), y), "float"),
        (lambda m, x, y: m.encode(x[:, :2], y), r"\[B, 3, H, W\]"),
        (lambda m, x, y: m.style_codes(torch.zeros(1, 11, 40)), "vectors must be"),
        (lambda m, x, y: m.render(torch.zeros(1, 12, 9, 32), y), "codes must be"),
        (lambda m, x, y: m.render(m.style_codes(m.encode(x, y)), y, size=48), "stages"),
        (lambda m, x, y: m.render(m.style_codes(m.encode(x, y)), y, noise=[]), "noise needs"),
        (lambda m, x, y: m.render(m.style_codes(m.encode(x, y)), y, noise="fresh"), "noise must be"),
        (lambda m, x, y: m.encode(x.expand(2, -1, -1, -1), torch.cat([y] * 3)), "batch"),
    ],
)
def test_bad_inputs_raise_input_error_with_a_reason(tiny_model, face, call, message):
    with pytest.raises(InputError, match=message):
        call(tiny_model, *face)


def test_weights_do_not_require_grad_but_inputs_can(face):
    model = random_model(seed=2)
    assert not any(p.requires_grad for p in model.network.parameters())
    vectors = model.encode(*face).requires_grad_(True)
    model.render(model.style_codes(vectors), face[1]).mean().backward()
    assert vectors.grad is not None and torch.count_nonzero(vectors.grad) > 0


def test_describe_names_model_resolution_and_device(tiny_model):
    assert tiny_model.describe() == "random · 64px · cpu · float32"
