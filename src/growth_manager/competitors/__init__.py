"""Competitor benchmarks: other businesses' public accounts, read daily, compared side by side
with the business's own accounts (followers, growth, posting frequency, engagement per post)."""
