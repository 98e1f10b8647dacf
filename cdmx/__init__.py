"""WhatsApp CDMX: a self-hostable WhatsApp contact center."""

__version__ = "0.1.0"
