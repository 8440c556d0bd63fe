"""Where callbacks may go: addresses checked after DNS, and the connection pinned to them.

A merchant chooses its callback URL, so a URL could point the service at the cloud metadata
endpoint or another internal address. The check runs at delivery time on the addresses the
name resolves to, and the request then goes to the address that was checked (the URL's
host is swapped for it, while the Host header and TLS server name keep the real name), so
a second DNS answer cannot slip another address in between (DNS rebinding).
"""

import asyncio
import socket
from collections.abc import Awaitable, Callable
from ipaddress import IPv4Address, IPv6Address, ip_address, ip_network

import httpx

IPAddress = IPv4Address | IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

_LINK_LOCAL = (ip_network("169.254.0.0/16"), ip_network("fe80::/10"))
_METADATA = ip_address("fd00:ec2::254")  # AWS's IPv6 metadata; the IPv4 one is link-local
_THIS_NETWORK = ip_network("0.0.0.0/8")  # Linux connects 0.x.x.x to the local host


class DestinationRefused(Exception):
    """The callback URL resolves to an address we never call; the message says why."""


def refusal(address: IPAddress, *, public_only: bool) -> str | None:
    """Why a callback must not go to this address, or None if it may."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address in _THIS_NETWORK:
        return "unspecified address"
    if address.is_multicast:
        return "multicast address"
    if address == _METADATA:
        return "cloud metadata address"
    if any(address in network for network in _LINK_LOCAL):
        return "link-local address (cloud metadata lives there)"
    if isinstance(address, IPv4Address) and address.is_reserved:
        return "reserved address"
    if public_only and not address.is_global:
        return "not a public address (INVOICEGATE_CALLBACK_PUBLIC_ONLY is on)"
    return None


async def resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for host, in its order, without repeats."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedTransport(httpx.AsyncBaseTransport):
    """Checks each request's destination, then sends it to the checked address only."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        *,
        public_only: bool,
        resolver: Resolver = resolve,
    ) -> None:
        self._inner = inner
        self._public_only = public_only
        self._resolve = resolver

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        host = url.host
        port = url.port or (443 if url.scheme == "https" else 80)
        try:
            addresses = await self._resolve(host, port)
        except OSError as error:
            raise DestinationRefused(f"{host} does not resolve: {error}") from None
        if not addresses:
            raise DestinationRefused(f"{host} does not resolve")
        for text in addresses:
            address = ip_address(text.partition("%")[0])  # drop an IPv6 zone id
            reason = refusal(address, public_only=self._public_only)
            if reason is not None:
                raise DestinationRefused(f"{host} resolves to {address}: {reason}")
        pinned = addresses[0]
        # httpx already set Host from the URL; TLS must verify the name, not the address.
        request.url = url.copy_with(host=pinned)
        if url.scheme == "https":
            request.extensions = {**request.extensions, "sni_hostname": host}
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()
