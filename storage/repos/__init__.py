"""Query functions per aggregate; each takes a session so the caller owns the transaction."""
