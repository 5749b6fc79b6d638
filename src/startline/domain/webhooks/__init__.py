"""Webhooks: subscriptions to the change journal, their deliveries, and how they are signed."""
