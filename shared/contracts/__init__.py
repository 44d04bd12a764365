"""What other agencies' systems rely on: the event catalogue and its CloudEvents envelope.

A change here is a change of the published contract: a new event type
(`….v2`) rather than a changed one.
"""
