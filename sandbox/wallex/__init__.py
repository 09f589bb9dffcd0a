"""Wallex sandbox: REST v1 (public and token-authenticated private) and Socket.IO."""

from sandbox.wallex.private import DEMO_TOKEN
from sandbox.wallex.server import WallexSandbox

__all__ = ["DEMO_TOKEN", "WallexSandbox"]
