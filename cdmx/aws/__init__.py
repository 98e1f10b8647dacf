"""The AWS side: End User Messaging Social as a channel, and the Amazon Connect bridge."""
