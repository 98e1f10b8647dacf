"""Pure rules and types, no I/O: message states, the 24-hour window, routing, identity."""
