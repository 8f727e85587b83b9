"""Alerts on new regulatory actions: subscriptions, channels and outbox delivery."""
