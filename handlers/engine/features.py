"""Every feature the core serves, in the order /help lists their commands."""

from handlers import reminders
from handlers.approval import feature as approval
from handlers.complaints import form as complaints
from handlers.engine.registry import Feature
from handlers.exports import chat as exports
from handlers.org import basics, deactivate
from handlers.reception import (
    admin_work,
    checklist,
    close_out,
    front_desk,
    guest_schedule,
    return_call,
    walk_in,
)
from handlers.reception import lifecycle as receptions
from handlers.visits import (
    assessment_marks,
    before_visit,
    checkin,
    daily_report,
    plan,
    review,
    satisfaction,
    scorecard,
)
from handlers.visits import form as visit
from handlers.visits import timeline as client_timeline

FEATURES: tuple[Feature, ...] = (
    receptions.FEATURE,
    visit.FEATURE,
    checkin.FEATURE,
    daily_report.FEATURE,
    review.FEATURE,
    before_visit.FEATURE,
    plan.FEATURE,
    scorecard.FEATURE,
    assessment_marks.FEATURE,
    satisfaction.FEATURE,
    complaints.FEATURE,
    client_timeline.FEATURE,
    approval.FEATURE,
    close_out.FEATURE,
    checklist.FEATURE,
    front_desk.FEATURE,
    return_call.FEATURE,
    walk_in.FEATURE,
    admin_work.FEATURE,
    guest_schedule.FEATURE,
    reminders.FEATURE,
    exports.FEATURE,
    basics.FEATURE,
    deactivate.FEATURE,
)
