"""Extract stage: turn a shopper message (and the conversation so far) into a ``ShoppingTurn``."""
