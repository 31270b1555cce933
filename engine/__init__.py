"""The image side: StyleGAN2, StyleCLIP editing and inversion. Knows tensors, never chats."""
