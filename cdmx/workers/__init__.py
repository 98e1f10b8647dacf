"""Background workers: the inbox processor, the outbox sender, and the loop that runs them."""
