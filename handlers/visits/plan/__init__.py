"""Monthly visit plans (拜访计划), SPEC §7 and seed 001: "业务人员每月底应提出次月拜望打算书,
呈部门主管审核".

A salesperson adds entries (client, day, purpose) to next month's plan with `/plan`, sees
the plan, and submits it; their manager approves it or asks for changes through the generic
approval chain (subject "plan"). While it waits it cannot change; once approved, an edit
makes it a draft that must be approved again.

Reminders (rows in `reminder`, sent by the scheduler):
* `plan.deadline:<person>:<YYYY-MM>` — the plan for YYYY-MM is not filed yet; due
  `visits.plan_reminder_working_days_before` working days before the deadline
  (`Policy.plan_deadline`). `deadline_reminder_rows` lists the month's rows for the
  scheduler to insert on each tick (keys make it idempotent), or `ensure_deadline_reminders`
  stores them; submitting the plan cancels the person's row, and its renderer drops a row
  whose plan has been filed meanwhile.
* `visit.report_due:<entry>` — stored when the plan is approved, for each planned visit:
  due at the end of the report deadline (`visit_rules.report_due_at`); a logged visit that
  closes the entry marks it done, and removing the entry cancels it.
"""

from handlers.visits.plan import approval as approval
from handlers.visits.plan.commands import FEATURE as FEATURE
from handlers.visits.plan.months import month_label as month_label
from handlers.visits.plan.months import purpose_text as purpose_text
from handlers.visits.plan.reminders import deadline_reminder_rows as deadline_reminder_rows
from handlers.visits.plan.reminders import ensure_deadline_reminders as ensure_deadline_reminders
