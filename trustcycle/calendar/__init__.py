"""The calendar: the one clock, working days, meeting rules, a cycle year's timeline, ICS.

Also the configuration checks that need them (`checks`).
"""
