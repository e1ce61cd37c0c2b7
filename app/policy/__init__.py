"""Store help: the store's policy document, split into topic sections, and the router that sends a
shopper's question to a section (or to the honest "I can't help with that here")."""
