"""The Cloud API edge: webhook signatures, payload parsing into frozen types, the Graph client
and Meta's error codes."""
