"""The HTTP surface. Routes call the pipeline through injected dependencies; nothing imports them."""
