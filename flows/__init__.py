"""Prefect flows: each reads as the statutory step it implements, and only sequences tasks."""
