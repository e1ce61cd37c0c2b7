"""The review console's pages (run by ``ui/console.py``); every call carries the reviewer's key."""
