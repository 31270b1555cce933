"""The chat side: people, messages and sessions. Never tensors."""
