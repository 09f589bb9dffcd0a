"""Narkasa REST v3 and websocket sandbox (seed 001).

``DEMO_API_KEY``/``DEMO_API_SECRET`` are the demo account's API key and secret (what
``sarraf demo`` connects with); it holds ``DEMO_BALANCES`` (currency: (available,
reserved)) and has deposit addresses for every currency whose deposits are open.
"""

from sandbox.narkasa.accounts import DEMO_API_KEY, DEMO_API_SECRET, DEMO_BALANCES

__all__ = ["DEMO_API_KEY", "DEMO_API_SECRET", "DEMO_BALANCES"]
