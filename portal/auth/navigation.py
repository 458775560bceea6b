"""Where to send someone after logging in: only ever somewhere on this site."""

from __future__ import annotations

from urllib.parse import urlsplit


def safe_next_url(target: str | None) -> str | None:
    """``target`` if it is a path on this site, else None.

    Only an absolute path is accepted (``/invoices?page=2``): no scheme, no
    host, no protocol-relative ``//host``. Browsers read a backslash as a
    slash and drop tabs and newlines inside URLs, so ``/\\evil.example`` or
    ``/<tab>/evil.example`` would leave the site: any backslash, whitespace or
    control character refuses the target outright.
    """
    if not target or len(target) > 2000:
        return None
    if any(char == "\\" or char.isspace() or ord(char) < 32 or ord(char) == 127 for char in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
