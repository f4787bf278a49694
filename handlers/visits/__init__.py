"""Visits: the form and quick line, rules, the plan, the scorecard, the timeline."""
