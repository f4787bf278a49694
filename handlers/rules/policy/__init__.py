"""The policy file: every number of the reception and visit rules, in one TOML file.

An org admin edits it; the bot reads it at start with `load.load_policy` and refuses a bad one
with a `load.PolicyError` naming the file, the line and the key. The defaults live in the
models (`sections`, `classes`, `schema`), and `examples/policy.toml` spells every one of them
out (a test keeps the two equal). A section or key left out of a file takes its default;
`[classes]`, when present, replaces the whole set of classes.
"""
