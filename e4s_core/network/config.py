"""Shape of an RGI network: the authors' configuration and the smaller ones we train."""

import math
from dataclasses import asdict, dataclass, field


def stylegan2_channels(out_size: int, multiplier: float = 2.0, maximum: int = 512) -> tuple[int, ...]:
    """Channels at 4, 8, ..., out_size px: StyleGAN2 config-f widths (16384 * m / res, capped)."""
    sizes = [2**i for i in range(2, int(math.log2(out_size)) + 1)]
    return tuple(min(maximum, int(multiplier * 16384 / size)) for size in sizes)


@dataclass(frozen=True)
class RGIConfig:
    """Everything that fixes the tensors of an RGI network.

    The defaults are the authors' released model (``iteration_300000.pt``).
    """

    num_regions: int = 12
    out_size: int = 1024
    style_dim: int = 512
    mapping_layers: int = 8  # unused at inference, kept so the checkpoint's keys load
    generator_channels: tuple[int, ...] = field(default_factory=lambda: stylegan2_channels(1024))
    # K in the paper: the first K W+ layers come from the per-region MLPs, the rest are
    # latent_avg for every region, so only layers reading an index < K are region-masked.
    regional_layers: int = 13
    encoder_input_size: int = 256
    encoder_widths: tuple[int, ...] = (64, 128, 256, 512, 512)  # stem, then each stage
    encoder_units: tuple[int, ...] = (3, 4, 14, 3)
    # Stages whose features are pooled into a region's vector: the paper's multi-scale encoder
    # uses the last three; 1 is its single-scale ablation.
    pooled_stages: int = 3
    blur_taps: tuple[int, ...] = (1, 3, 3, 1)

    def __post_init__(self):
        log_size = math.log2(self.out_size)
        if log_size != int(log_size) or self.out_size < 8:
            raise ValueError(f"out_size must be a power of two >= 8, got {self.out_size}")
        if len(self.generator_channels) != int(log_size) - 1:
            raise ValueError(
                f"generator_channels needs one width per resolution 4..{self.out_size}"
                f" ({int(log_size) - 1} values), got {len(self.generator_channels)}"
            )
        if len(self.encoder_widths) != len(self.encoder_units) + 1 or len(self.encoder_units) < 3:
            raise ValueError("encoder_widths needs the stem width plus one width per stage (>= 3)")
        if not 1 <= self.pooled_stages <= len(self.encoder_units):
            raise ValueError(f"pooled_stages must be in 1..{len(self.encoder_units)}")
        if min(self.encoder_widths[1:]) < 16:
            raise ValueError("encoder stage widths must be >= 16 (squeeze-excite divides by 16)")
        if not 1 <= self.regional_layers <= self.num_w_layers:
            raise ValueError(f"regional_layers must be in 1..{self.num_w_layers}")

    @property
    def num_w_layers(self) -> int:
        """Rows of a W+ code: 18 at 1024 px."""
        return 2 * int(math.log2(self.out_size)) - 2

    @property
    def vector_dim(self) -> int:
        """Length of a region's texture vector: features pooled from the last stages."""
        return sum(self.encoder_widths[-self.pooled_stages :])

    def channels_at(self, size: int) -> int:
        return self.generator_channels[int(math.log2(size)) - 2]

    def to_dict(self) -> dict:
        return {
            key: list(value) if isinstance(value, tuple) else value for key, value in asdict(self).items()
        }

    @classmethod
    def from_dict(cls, values: dict) -> "RGIConfig":
        known = {name for name in cls.__dataclass_fields__}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown config fields: {sorted(unknown)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in values.items()})
