"""Price alerts: the condition model, the in-memory index, and the service around them."""
