"""Receptions: the request form, its card, its lifecycle, what follows approval."""
