"""The daily digest's sections, one module per role (`base` is what they are written against)."""
