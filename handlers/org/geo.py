"""Places on the earth: a coordinate pair checked, and the distance between two."""

from __future__ import annotations

import math

EARTH_RADIUS_M = 6_371_000


def is_location(value: object) -> bool:
    """`[latitude, longitude]` with both finite and in range (a phone's or a file's)."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return False
    if any(isinstance(v, bool) or not isinstance(v, int | float) for v in value):
        return False
    latitude, longitude = value
    finite = math.isfinite(latitude) and math.isfinite(longitude)
    return finite and -90 <= latitude <= 90 and -180 <= longitude <= 180


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Metres between two points along the earth's surface (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2
    h += math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))))
