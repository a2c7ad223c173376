"""The ``trimline`` command line: one module per command group."""
