"""Domain-free helpers shared by every feature module."""
