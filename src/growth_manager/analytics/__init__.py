"""Analytics: synced metrics with history and provenance, sync runs and schedules, and the
dashboard that shows them."""
