"""Analytics: metrics synced from the platforms, their history and what the dashboard shows."""
