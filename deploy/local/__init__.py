"""Development and test infrastructure: real Kafka and PostgreSQL, the services as processes.

Used by `make run`, `make kafka`, the test suite and the benchmarks; it is not
part of the installed package or the image, and no service imports it.
"""
