"""Prefect tasks: each wraps one I/O action of the domain in `trustcycle`."""
