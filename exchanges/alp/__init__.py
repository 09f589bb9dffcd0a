"""ALP.COM: public market data over HTTP API v1 (no stream), and the signed account
client (v1 wallets, orders and transfers; v3 fee info, accounts, orders, balances per
wallet, wallet activity and margin)."""
