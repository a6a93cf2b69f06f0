"""Loopback fakes of the services diemtin talks to, for tests and benchmarks (127.0.0.1 only)."""
