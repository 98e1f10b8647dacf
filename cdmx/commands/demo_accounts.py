"""The accounts ``cdmx demo`` creates, with passwords printed for anyone to read: ``cdmx
serve`` refuses to start while one of them is active, unless told ``--demo``."""

from __future__ import annotations

from typing import Final

# (e-mail, name, role, password)
DEMO_USERS: Final = (
    ("admin@demo.cdmx", "Admin Demo", "admin", "admin-demo-1"),
    ("ana@demo.cdmx", "Ana López", "agent", "agente-demo-1"),
    ("beto@demo.cdmx", "Beto Ramírez", "agent", "agente-demo-2"),
    ("sofia@demo.cdmx", "Sofía Hernández", "supervisor", "supervisora-demo-1"),
)
