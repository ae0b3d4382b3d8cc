"""The weighted training objective and the feature networks behind each term.

With the user's LPIPS/AlexNet and ArcFace weight files (``feature_nets.py``) the terms are the
paper's. Our default model is trained without them (they cannot be fetched offline), using:

- perceptual: 1 - SSIM at three scales, in place of LPIPS at three scales;
- identity: the cosine distance of the corpus parser's five encoder levels on the paper's
  inner-face crop, in place of ArcFace's (the corpus has no identities to train an ArcFace on;
  the parser's features carry each face's shape and colouring);
- parsing: the corpus parser's five encoder levels on the whole face, as the paper does with its
  CelebAMask-HQ U-Net;
- adversarial: our small discriminator, trained alongside.
"""

from dataclasses import asdict, dataclass

import torch
from torch import nn

from .. import paper_constants as paper
from ..image_distances import MultiScale, PixelMSE, SSIMDistance
from .losses import ID_CROP, FeatureCosineDistance, NonSaturatingAdversarial


@dataclass(frozen=True)
class LossWeights:
    mse: float = paper.MSE_WEIGHT
    perceptual: float = paper.PERCEPTUAL_WEIGHT
    identity: float = paper.IDENTITY_WEIGHT
    parsing: float = paper.PARSING_WEIGHT
    adversarial: float = paper.ADVERSARIAL_WEIGHT

    def to_dict(self) -> dict:
        return asdict(self)


class Objective(nn.Module):
    """Weighted sum of the terms; a term whose weight is 0 is not computed."""

    def __init__(self, weights: LossWeights, terms: dict[str, nn.Module]):
        super().__init__()
        self.weights = weights
        self.terms = nn.ModuleDict({name: term for name, term in terms.items() if getattr(weights, name) > 0})

    def forward(self, generated: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, dict[str, float]]:
        total = generated.new_zeros(())
        values = {}
        for name, term in self.terms.items():
            value = term(generated, target)
            total = total + getattr(self.weights, name) * value
            values[name] = value.item()
        values["total"] = total.item()
        return total, values


def build_objective(
    weights: LossWeights,
    parser: nn.Module | None = None,
    discriminator: nn.Module | None = None,
    lpips: nn.Module | None = None,
    arcface: nn.Module | None = None,
) -> Objective:
    """The paper's objective, with each missing feature network replaced as the module says."""
    terms: dict[str, nn.Module] = {"mse": PixelMSE()}
    terms["perceptual"] = MultiScale(lpips if lpips is not None else SSIMDistance(), paper.PERCEPTUAL_SCALES)
    identity_features = arcface.features if arcface is not None else getattr(parser, "features", None)
    needs = {"identity": identity_features, "parsing": parser, "adversarial": discriminator}
    for name, network in needs.items():
        if getattr(weights, name) > 0 and network is None:
            raise ValueError(
                f"the {name} term has weight {getattr(weights, name)} but no network to compute it"
            )
    if identity_features is not None:
        terms["identity"] = FeatureCosineDistance(identity_features, crop=ID_CROP)
    if parser is not None:
        terms["parsing"] = FeatureCosineDistance(parser.features)
    if discriminator is not None:
        terms["adversarial"] = NonSaturatingAdversarial(discriminator)
    return Objective(weights, terms)
