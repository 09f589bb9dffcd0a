"""ALP.COM: public market data over HTTP API v1 (no stream), and the signed account
client (v1 wallets, v3 fee info and accounts)."""
