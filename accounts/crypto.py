"""Tokens encrypted at rest with Fernet (AES-128-CBC + HMAC-SHA256).

The key is NETWORK_TOKEN_KEY when set (rotate it without touching sessions), else derived from
SECRET_KEY, so a database dump alone never holds a usable X token.
"""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings

__all__ = ["InvalidToken", "token_decrypt", "token_encrypt"]


def _fernet() -> Fernet:
    secret = settings.NETWORK_TOKEN_KEY or settings.SECRET_KEY
    key = hashlib.sha256(b"tweetups.x-network-tokens:" + secret.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def token_encrypt(token: str) -> bytes:
    return _fernet().encrypt(token.encode()) if token else b""


def token_decrypt(blob: bytes | memoryview) -> str:
    """The token; raises InvalidToken when the key changed since it was stored."""
    blob = bytes(blob)
    return _fernet().decrypt(blob).decode() if blob else ""
