"""Text-driven editing: CLIP scoring, latent mapper, global direction, optimization, router."""
