"""Client complaints (seeds 000–003: 《顾客投诉处理记录表》; seed 003, 投诉问题应答质量标准).

A complaint is recorded with the department responsible (`/complaint CLIENT …`, or a low
satisfaction score); the department's manager is told at once and takes it; the one who
recorded it answers the client and calls them back; the manager confirms the close with the
client's feedback. Seed 003's timetable — tell within 10 minutes, answer within 20 after
that, call back within 24 hours — is the policy's `[complaints]`, reminded and escalated by
`timers`. Another complaint from the same client soon after is a repeat, marked on the
card and on the assessment of the client's owner (`handlers/visits/assessment.py`).

Modules: `record` (storing one, who is responsible, the card), `form` (`/complaint`),
`progress` (the buttons that move it on), `timers` (the reminders).
"""
