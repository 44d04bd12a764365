"""The HTTP edge every service shares: problems, bearer tokens, pagination, health and docs.

Handlers never import it: they raise `shared.errors`, which `problems` answers.
"""
