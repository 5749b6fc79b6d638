"""Sending webhooks: the SSRF guard, the HTTP client that connects only to the address it
checked, and the sender loop that runs inside `startline serve` and as `startline worker`.
The subscriptions, deliveries and their rules live in `startline.domain.webhooks`."""
