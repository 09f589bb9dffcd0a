"""WEX sandbox: Public API v3 and Trade API v1, written from WEX's documents."""

from sandbox.wex.server import WexSandbox
from sandbox.wex.tapi import DEMO_KEY, DEMO_SECRET, ApiKey, TradeApi

__all__ = ["DEMO_KEY", "DEMO_SECRET", "ApiKey", "TradeApi", "WexSandbox"]
