"""Approval chains: steps, decisions, delegation, reminders and escalation."""
