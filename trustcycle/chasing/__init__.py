"""Chasing returns: who owes what, the reminder ladder, requests, receipts and progress."""
