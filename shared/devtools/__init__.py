"""Development and test infrastructure: real Kafka and PostgreSQL, started on demand.

Used by `make run`, `make kafka` and the test suite; services never import it.
"""
