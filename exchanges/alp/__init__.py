"""ALP.COM: public market data over HTTP API v1 (no stream)."""
