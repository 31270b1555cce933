"""StyleGAN2 generator: official checkpoint loading (and NVIDIA pickle import), W / W+ / StyleSpace, synthesis."""

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
from engine.stylegan2.nvidia import StyleGAN3NotSupported, convert_nvidia_pickle, import_generator
from engine.stylegan2.safe_pickle import PickleRefused

__all__ = [
    "CheckpointError",
    "Generator",
    "GeneratorConfig",
    "PickleRefused",
    "StyleGAN3NotSupported",
    "StyleLayer",
    "add_style_offsets",
    "convert_nvidia_pickle",
    "default_channels",
    "generator_from_state_dict",
    "import_generator",
    "infer_config",
    "load_generator",
    "load_generator_from_e4e",
]
