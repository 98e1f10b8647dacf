"""The read side: what the API, the console and the event snapshots show."""
