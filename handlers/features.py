"""Every feature the core serves, in the order /help lists their commands."""

from handlers import (
    after_approval,
    approval,
    basics,
    client_timeline,
    deactivate,
    plan,
    receptions,
    reminders,
    scorecard,
    visit,
)
from handlers.exports import chat as exports
from handlers.registry import Feature

FEATURES: tuple[Feature, ...] = (
    receptions.FEATURE,
    visit.FEATURE,
    plan.FEATURE,
    scorecard.FEATURE,
    client_timeline.FEATURE,
    approval.FEATURE,
    after_approval.FEATURE,
    reminders.FEATURE,
    exports.FEATURE,
    basics.FEATURE,
    deactivate.FEATURE,
)
