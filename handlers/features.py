"""Every feature the core serves, in the order /help lists their commands."""

from handlers import after_approval, approval, basics, receptions
from handlers.registry import Feature

FEATURES: tuple[Feature, ...] = (
    receptions.FEATURE,
    approval.FEATURE,
    after_approval.FEATURE,
    basics.FEATURE,
)
