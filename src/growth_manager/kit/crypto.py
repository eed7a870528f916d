"""Tokens at rest: MultiFernet (newest key first) behind one SQLAlchemy column type.

The keys come from settings (``GROWTH_TOKEN_ENCRYPTION_KEYS``, newest first; by default one key
generated into the data directory). Any listed key decrypts; only the first encrypts, so adding a
new key in front and running ``growth-manager rotate-keys`` moves every token to it, after which
the old key can be dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator

_fernet: MultiFernet | None = None
_keys: list[str] = []
# Where the keys come from when a process never installed them (a script, a test): set by the
# settings module, so this domain-free helper imports nothing of the product.
_default_keys: Callable[[], list[str]] | None = None


def default_keys(source: Callable[[], list[str]]) -> None:
    global _default_keys
    _default_keys = source


def configure_keys(keys: list[str]) -> None:
    """Install the process's keys (newest first). Called once at start-up by app and worker."""
    global _fernet, _keys
    if not keys:
        raise ValueError("at least one token encryption key is needed")
    try:
        _fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        _keys = list(keys)
    except ValueError as exc:
        raise ValueError(
            "GROWTH_TOKEN_ENCRYPTION_KEYS must be urlsafe base64 Fernet keys "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from exc


def current_keys() -> list[str]:
    fernet()
    return list(_keys)


def fernet() -> MultiFernet:
    if _fernet is None:
        if _default_keys is None:
            raise RuntimeError("token encryption keys are not configured (configure_keys)")
        configure_keys(_default_keys())
    assert _fernet is not None
    return _fernet


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "a stored token cannot be decrypted with the configured keys; "
            "was a key removed before rotate-keys ran?"
        ) from exc


def rotate(ciphertext: str) -> str:
    """Re-encrypt under the newest key (MultiFernet.rotate keeps the original timestamp)."""
    return fernet().rotate(ciphertext.encode()).decode()


class EncryptedText(TypeDecorator[str]):
    """A string column stored encrypted; plaintext never reaches the database."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else encrypt(value)

    def process_result_value(self, value: str | None, dialect: Any) -> str | None:
        return None if value is None else decrypt(value)
