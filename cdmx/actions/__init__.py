"""The only code that writes. Each ``do_<verb>_<noun>()`` takes a session inside a write
transaction; events it emits are stored with the change and published after the commit."""
