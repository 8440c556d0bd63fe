"""Callback destinations: which addresses are refused, and that the checked one is the one
called (the name resolved once, the connection pinned to it, Host and TLS name kept)."""

from ipaddress import ip_address

import httpx
import pytest

from invoicegate.callbacks.guard import DestinationRefused, GuardedTransport, refusal
from invoicegate.callbacks.sender import Sender

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


NEVER = {
    "169.254.169.254": "link-local",  # AWS, GCP, Azure metadata
    "169.254.0.1": "link-local",
    "fe80::1": "link-local",
    "fd00:ec2::254": "cloud metadata",
    "::ffff:169.254.169.254": "link-local",  # the same, written as IPv6
    "0.0.0.0": "unspecified",
    "0.1.2.3": "unspecified",
    "::": "unspecified",
    "224.0.0.1": "multicast",
    "ff02::1": "multicast",
    "255.255.255.255": "reserved",
    "240.0.0.1": "reserved",
}
PRIVATE = ["127.0.0.1", "::1", "10.1.2.3", "172.16.0.5", "192.168.1.10", "fd12::1", "100.64.0.1"]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"]


@pytest.mark.parametrize("address", sorted(NEVER))
@pytest.mark.parametrize("public_only", [False, True])
def test_metadata_link_local_unspecified_multicast_are_never_called(
    address: str, public_only: bool
) -> None:
    reason = refusal(ip_address(address), public_only=public_only)
    assert reason is not None and NEVER[address] in reason


@pytest.mark.parametrize("address", PRIVATE)
def test_loopback_and_private_are_allowed_unless_public_only(address: str) -> None:
    assert refusal(ip_address(address), public_only=False) is None
    reason = refusal(ip_address(address), public_only=True)
    assert reason is not None and "INVOICEGATE_CALLBACK_PUBLIC_ONLY" in reason


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed_either_way(address: str) -> None:
    assert refusal(ip_address(address), public_only=False) is None
    assert refusal(ip_address(address), public_only=True) is None


class Network:
    """A resolver and a network: records lookups and the requests that reach the wire."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[tuple[str, int]] = []
        self.sent: list[httpx.Request] = []

    async def resolve(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return self.answers[host].pop(0)

    def transport(self, public_only: bool = False) -> GuardedTransport:
        def wire(request: httpx.Request) -> httpx.Response:
            self.sent.append(request)
            return httpx.Response(200, text="ACCEPTED")

        return GuardedTransport(
            httpx.MockTransport(wire), public_only=public_only, resolver=self.resolve
        )


async def test_the_request_goes_to_the_checked_address_with_the_real_name() -> None:
    # A rebinding name: a harmless address first, the metadata address on the next lookup.
    network = Network({"shop.test": [["127.0.0.1"], ["169.254.169.254"]]})
    async with httpx.AsyncClient(transport=network.transport()) as client:
        answer = await client.post("https://shop.test:8443/cb?x=1", content=b"{}")
    assert answer.status_code == 200
    assert network.lookups == [("shop.test", 8443)]  # resolved once: nothing to rebind
    [sent] = network.sent
    assert str(sent.url) == "https://127.0.0.1:8443/cb?x=1"
    assert sent.headers["host"] == "shop.test:8443"
    assert sent.extensions["sni_hostname"] == "shop.test"  # TLS verifies the name


async def test_an_ipv6_destination_is_pinned_in_brackets() -> None:
    network = Network({"v6.test": [["::1"]]})
    async with httpx.AsyncClient(transport=network.transport()) as client:
        await client.post("http://v6.test/cb")
    assert str(network.sent[0].url) == "http://[::1]/cb"
    assert network.sent[0].headers["host"] == "v6.test"


async def test_a_name_with_any_forbidden_address_is_refused_before_connecting() -> None:
    network = Network({"mixed.test": [["93.184.216.34", "169.254.169.254"]]})
    async with httpx.AsyncClient(transport=network.transport()) as client:
        with pytest.raises(DestinationRefused, match=r"169\.254\.169\.254: link-local"):
            await client.post("http://mixed.test/cb")
    assert network.sent == []


async def test_public_only_refuses_a_loopback_name() -> None:
    network = Network({"localhost": [["127.0.0.1"]]})
    async with httpx.AsyncClient(transport=network.transport(public_only=True)) as client:
        with pytest.raises(DestinationRefused, match="not a public address"):
            await client.post("http://localhost:8080/cb")
    assert network.sent == []


async def test_a_refused_destination_is_a_failed_attempt_with_its_reason() -> None:
    network = Network({"metadata.test": [["169.254.169.254"]]})
    sender = Sender(network.transport(), timeout_seconds=1)
    result = await sender.post("http://metadata.test/latest", "{}", {}, lambda s, a: True)
    await sender.aclose()
    assert not result.acknowledged
    assert result.status is None
    assert result.error == (
        "refused: metadata.test resolves to 169.254.169.254: "
        "link-local address (cloud metadata lives there)"
    )


async def test_a_name_that_does_not_resolve_is_a_failed_attempt() -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    transport = GuardedTransport(httpx.MockTransport(lambda r: httpx.Response(200)),
                                 public_only=False, resolver=nowhere)  # fmt: skip
    sender = Sender(transport, timeout_seconds=1)
    result = await sender.post("http://nowhere.test/", "{}", {}, lambda s, a: True)
    await sender.aclose()
    assert result.error == "refused: nowhere.test does not resolve: Name or service not known"


async def test_redirects_are_not_followed() -> None:
    sent: list[str] = []

    def wire(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://169.254.169.254/"})

    sender = Sender(httpx.MockTransport(wire), timeout_seconds=1)
    result = await sender.post("http://shop.test/cb", "{}", {}, lambda s, a: 200 <= s < 300)
    await sender.aclose()
    assert sent == ["http://shop.test/cb"]
    assert (result.status, result.acknowledged) == (302, False)
