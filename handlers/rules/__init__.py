"""The rules: the policy file and working days."""
