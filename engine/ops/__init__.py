"""Low-level ops of StyleGAN2, as plain PyTorch reference implementations.

Every op keeps its slow, obviously-correct form; a faster variant may live beside it and is
tested against it.
"""

from engine.ops.bias_act import fused_leaky_relu
from engine.ops.upfirdn2d import make_kernel, upfirdn2d

__all__ = ["fused_leaky_relu", "make_kernel", "upfirdn2d"]
