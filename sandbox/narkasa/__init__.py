"""Narkasa REST v3 sandbox (seed 001)."""
