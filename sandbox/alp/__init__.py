"""ALP.COM sandbox server."""

from sandbox.alp.server import AlpSandbox

__all__ = ["AlpSandbox"]
