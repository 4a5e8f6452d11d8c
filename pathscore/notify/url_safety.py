"""Refusing webhook URLs that point inside the company network (SSRF).

A URL's host is resolved and every address it resolves to must be public: loopback,
private, link-local, shared, reserved, multicast and unspecified addresses, IPv4 and IPv6
(including IPv4 mapped into IPv6), are refused unless the admin allow-listed the webhook.
The check runs when a webhook is saved and again at every delivery, and the delivery then
connects to the very address that was checked, so a DNS answer that changes in between
(DNS rebinding) cannot redirect it.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Target:
    """A checked URL: where to connect (``ip``) and what to ask for."""

    scheme: str
    host: str
    port: int
    ip: str
    path: str


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise ValidationError(
            {"url": _("The host %(host)s cannot be resolved.") % {"host": host}}
        ) from error
    return list(dict.fromkeys(info[4][0] for info in infos))


def check_url(url: str, *, allow_private: bool = False) -> Target:
    """Return where to connect for ``url``, or raise a ValidationError naming ``url``."""
    parts = urlsplit(url or "")
    allowed_schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed_schemes or not parts.hostname:
        raise ValidationError({"url": _("A webhook URL must start with https://.")})
    if parts.username or parts.password:
        raise ValidationError({"url": _("A webhook URL cannot carry a user name or password.")})
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise ValidationError({"url": _("The port of this URL is not valid.")}) from error
    addresses = resolve(parts.hostname, port)
    if not allow_private and not all(is_public(address) for address in addresses):
        raise ValidationError(
            {
                "url": _(
                    "This URL points to a private, loopback or reserved address; only an "
                    "allow-listed webhook may use one."
                )
            }
        )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, parts.hostname, port, addresses[0], path)
