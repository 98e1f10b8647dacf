"""The ``cdmx`` subcommands, one module per area, each with its ``register(subparsers)``."""
