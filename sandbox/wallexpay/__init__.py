"""WallexPay API v2 sandbox (merchant payment gateway).

``DEMO_KEY``/``DEMO_SECRET`` are the demo merchant's public and secret key (what
``sarraf demo`` connects with); it holds ``DEMO_BALANCES`` and has deposit addresses
taken for ``DEMO_FOREIGN_ID``.
"""

from sandbox.wallexpay.server import (
    DEMO_BALANCES,
    DEMO_FOREIGN_ID,
    DEMO_KEY,
    DEMO_SECRET,
    IssuedAddress,
    Merchant,
    WallexPaySandbox,
)

__all__ = [
    "DEMO_BALANCES",
    "DEMO_FOREIGN_ID",
    "DEMO_KEY",
    "DEMO_SECRET",
    "IssuedAddress",
    "Merchant",
    "WallexPaySandbox",
]
