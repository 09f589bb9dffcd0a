"""Which client serves which exchange name, and building them from base URLs.

The only module that knows every exchange; the bot asks it by name so adding a system
is one line here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

from exchanges.accounts import AccountClient
from exchanges.alp.account import AlpAccount
from exchanges.alp.client import AlpClient
from exchanges.base import MarketDataClient
from exchanges.http import HttpPipeline
from exchanges.narkasa.account import NarkasaAccount
from exchanges.narkasa.client import NarkasaClient
from exchanges.narkasa.stream import NarkasaStream
from exchanges.streams import MarketStream
from exchanges.wallex.account import WallexAccount
from exchanges.wallex.client import WallexClient
from exchanges.wallex.stream import WallexStream
from exchanges.wallexpay.account import WallexPayAccount
from exchanges.wex.account import WexAccount
from exchanges.wex.client import WexClient

MARKET_CLIENTS: dict[str, type[MarketDataClient]] = {
    "wallex": WallexClient,
    "narkasa": NarkasaClient,
    "alp": AlpClient,
    "wex": WexClient,
}
ACCOUNT_CLIENTS: dict[str, type[AccountClient]] = {
    "wallex": WallexAccount,
    "narkasa": NarkasaAccount,
    "alp": AlpAccount,
    "wex": WexAccount,
    "wallexpay": WallexPayAccount,
}
# The order exchanges are listed in replies.
ORDER: tuple[str, ...] = ("wallex", "narkasa", "alp", "wex", "wallexpay")


def build_market_clients(
    urls: Mapping[str, str], *, timeout: float = 10.0
) -> dict[str, MarketDataClient]:
    """One client per exchange that has a market-data client and a configured URL."""
    clients: dict[str, MarketDataClient] = {}
    for name in ORDER:
        cls = MARKET_CLIENTS.get(name)
        if cls is None or name not in urls:
            continue
        clients[name] = cls(HttpPipeline(name, urls[name], timeout=timeout))
    return clients


def account_factories(urls: Mapping[str, str]) -> dict[str, tuple[type[AccountClient], str]]:
    """Exchange → (account client class, base URL), in display order."""
    return {
        name: (ACCOUNT_CLIENTS[name], urls[name])
        for name in ORDER
        if name in ACCOUNT_CLIENTS and name in urls
    }


STREAMS: dict[str, Callable[[str], MarketStream]] = {
    "wallex": WallexStream,
    "narkasa": NarkasaStream,
}


def stream_factories(urls: Mapping[str, str]) -> dict[str, Callable[[], MarketStream]]:
    """Exchange → a function making a fresh stream connection (one per (re)connect)."""
    return {name: partial(STREAMS[name], urls[name]) for name in STREAMS if name in urls}
