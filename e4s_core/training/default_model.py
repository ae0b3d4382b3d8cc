"""The configuration of the model E4S Studio ships (``resources/models/e4s-studio-default.pt``).

The authors' design at small widths: 12 regions, per-region vectors pooled from the last three
encoder stages (64 + 128 + 128 = 320-d), per-region MLPs to a 14-row W+ code of 128-d styles, and a
256 px generator whose every layer is modulated per region under the mask (K = 14: at this size the
finest layers carry texture detail that should follow its region). Sized so a full render stays
under 150 ms on two CPU cores and one training step is affordable on a CPU.
"""

from ..network import RGIConfig

DEFAULT_MODEL_CONFIG = RGIConfig(
    out_size=256,
    style_dim=128,
    mapping_layers=2,
    generator_channels=(256, 256, 128, 64, 48, 32, 24),
    regional_layers=14,
    encoder_input_size=256,
    encoder_widths=(16, 32, 64, 128, 128),
    encoder_units=(1, 1, 2, 1),
)
