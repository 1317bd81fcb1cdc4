"""The scale benchmark: a large deterministic firm, and what the product does with it."""
