"""The admin's pages for webhook subscriptions and their deliveries (document controllers)."""
