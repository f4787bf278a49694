"""The daily digest and the weekly chart."""
