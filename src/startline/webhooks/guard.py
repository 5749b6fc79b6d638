"""The SSRF guard: a webhook target must resolve to public addresses only, unless
STARTLINE_WEBHOOK_ALLOW_PRIVATE=true (self-hosting on one network, tests). Checked when a
subscription is made and again at every send, on the addresses the sender then connects to
(no second lookup, so no DNS-rebinding window)."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class TargetRefused(Exception):
    """The target cannot be sent to: it does not resolve, or resolves to a refused address."""


@dataclass(frozen=True, slots=True)
class Target:
    host: str
    port: int
    addresses: tuple[str, ...]  # numeric, every one checked


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), if any."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refused_kind(address: IPAddress) -> str | None:
    """Why an address is refused ("loopback address", ...), or None for a public unicast
    address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        kind = refused_kind(inner)
        return None if kind is None else f"{kind} (it carries the IPv4 address {inner})"
    if address.is_unspecified:
        return "unspecified address"
    if address.is_loopback:
        return "loopback address"
    if address.is_link_local:
        return "link-local address"
    if address.is_multicast:
        return "multicast address"
    if address.is_private:
        return "private address"
    if not address.is_global:
        return "non-public address"
    return None


def _is_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def check_url(url: str, *, allow_private: bool) -> Target:
    """Resolve and check an http(s) URL's host (the URL's shape checked already)."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return resolve(parts.hostname or "", port, allow_private=allow_private)


def resolve(host: str, port: int, *, allow_private: bool) -> Target:
    """Every address `host` resolves to, each checked; TargetRefused names the first bad one."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise TargetRefused(f"cannot resolve {host}: {reason}") from None
    addresses: list[str] = []
    for _family, _kind, _proto, _name, sockaddr in infos:
        text = str(sockaddr[0]).split("%", 1)[0]
        if text in addresses:
            continue
        address = ipaddress.ip_address(text)
        kind = refused_kind(address)
        if kind is not None and not allow_private:
            what = host if _is_literal(host) else f"{host} resolves to {address}, which"
            raise TargetRefused(
                f"{what} is a {kind}: webhooks go to public addresses only "
                "(set STARTLINE_WEBHOOK_ALLOW_PRIVATE=true to allow it)"
            )
        addresses.append(text)
    if not addresses:
        raise TargetRefused(f"cannot resolve {host}: no address")
    return Target(host=host, port=port, addresses=tuple(addresses))
