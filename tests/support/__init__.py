"""Pieces tests run in processes of their own."""
