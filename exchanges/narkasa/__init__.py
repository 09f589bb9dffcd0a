"""Narkasa (Turkey), seed 001: public market data over REST v3 (``client``), one
user's signed account (``account``, signing in ``auth``) and the market websocket
(``stream``)."""
