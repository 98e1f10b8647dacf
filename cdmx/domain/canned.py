"""Quick replies' variables: ``{{contact.name}}``, ``{{contact.first_name}}``,
``{{agent.name}}``, ``{{business.name}}``, filled for one conversation and one agent.

A variable with no value (a customer who never gave a name, an install with no
``CDMX_BUSINESS_NAME``), or one this product does not know, stays as written: the agent
sees it in the composer before sending and fills it in.
"""

from __future__ import annotations

import re

VARIABLES = ("contact.name", "contact.first_name", "agent.name", "business.name")
SHORTCUT = re.compile(r"[a-z0-9_-]{1,32}")
_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+\.[a-z_]+)\s*\}\}")


def variable_values(
    *, contact_name: str | None, agent_name: str | None, business_name: str | None
) -> dict[str, str]:
    """The variables' values, leaving out those that have none."""
    contact = (contact_name or "").strip()
    values = {
        "contact.name": contact,
        "contact.first_name": contact.split()[0] if contact else "",
        "agent.name": (agent_name or "").strip(),
        "business.name": (business_name or "").strip(),
    }
    return {name: value for name, value in values.items() if value}


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with every known variable that has a value filled in."""
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)
