"""Narkasa (Turkey): public market data over REST v3 (seed 001)."""
