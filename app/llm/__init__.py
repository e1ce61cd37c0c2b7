"""The LLM backend's plumbing: the instructor client, the circuit breaker and per-turn accounting."""
