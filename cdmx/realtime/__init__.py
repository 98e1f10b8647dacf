"""Real time: the in-process event bus and the Server-Sent Events stream of the console."""
