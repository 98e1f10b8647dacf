"""HTTP: the WhatsApp webhook, the REST API with its event stream, and the console."""
