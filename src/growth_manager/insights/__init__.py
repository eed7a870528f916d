"""Growth insights computed from the synced snapshots: when to post, what works, how the
audience grows, how people feel in the comments, how the business compares with competitors,
and what is worth posting again.

They live beside ``analytics`` (which syncs and shows the numbers) rather than inside it, so
the sync engine and the reads built on it stay apart: insights import analytics, never the
other way round. Each insight has a read endpoint under
``/api/v1/businesses/{id}/insights/…`` and a section on the Insights page
(:mod:`growth_manager.insights.sections`).
"""
