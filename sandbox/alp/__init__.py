"""ALP.COM sandbox server, with one demo account (``DEMO_API_KEY``/``DEMO_API_SECRET``)."""

from sandbox.alp.private import DEMO_API_KEY, DEMO_API_SECRET, FeeRule, SandboxAccount
from sandbox.alp.server import AlpSandbox

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "AlpSandbox", "FeeRule", "SandboxAccount"]
