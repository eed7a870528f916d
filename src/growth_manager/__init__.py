"""Growth Manager: a self-hosted social-media growth tool for small businesses."""

__version__ = "0.1.0"
