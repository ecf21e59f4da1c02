"""`pipelines check`: the repository's conventions, checked before CI does.

One module per family of rules (`names`, `owners`, `labels`, `schedules`,
`layout`), each a function of the facts that `collect.py` gathers by importing the
flows in a child process; `runner.run_checks` applies them all. Each rule is
explained, with a bad and a good example, in the README ("Convenções verificadas").
"""
