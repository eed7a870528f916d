"""Connecting social accounts: the OAuth flow, the account picker, the state store, and the
Connections page and API."""
