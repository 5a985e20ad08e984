"""trustcycle: the domain of a Children's Trust's annual statutory planning cycle.

This package holds the rules (configuration, the statutory calendar, who is due a
reminder, what a draft contains) as plain typed functions. It never imports Prefect:
`tasks/` and `flows/` wrap it.
"""

TIMEZONE = "Europe/London"
