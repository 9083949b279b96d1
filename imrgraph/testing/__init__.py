"""Tooling for tests and benchmarks: synthetic letters (:mod:`imrgraph.testing.synth`).

Nothing in the runtime pipeline imports this package.
"""
