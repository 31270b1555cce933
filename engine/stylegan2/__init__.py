"""StyleGAN2 generator: official checkpoint loading, W / W+ / StyleSpace, synthesis and previews."""

from engine.checkpoints import CheckpointError
from engine.stylegan2.checkpoint import (
    generator_from_state_dict,
    infer_config,
    load_generator,
    load_generator_from_e4e,
)
from engine.stylegan2.generator import (
    Generator,
    GeneratorConfig,
    StyleLayer,
    add_style_offsets,
    default_channels,
)

__all__ = [
    "CheckpointError",
    "Generator",
    "GeneratorConfig",
    "StyleLayer",
    "add_style_offsets",
    "default_channels",
    "generator_from_state_dict",
    "infer_config",
    "load_generator",
    "load_generator_from_e4e",
]
