"""Telling the customer: the outbox, notifications, choice links and webhooks."""
