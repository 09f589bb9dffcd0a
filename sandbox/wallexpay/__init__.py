"""WallexPay API v2 sandbox (merchant payment gateway)."""

from sandbox.wallexpay.server import DEMO_KEY, DEMO_SECRET, WallexPaySandbox

__all__ = ["DEMO_KEY", "DEMO_SECRET", "WallexPaySandbox"]
