"""`trustcycle doctor`: is everything the service needs in order? One finding per check.

Each check returns a `Finding`: OK, WARN (works, but read the line), FAIL (must be fixed)
or SKIP (could not be checked, and why), with what to do in the officer's words. A
FAIL that makes serving impossible (a broken configuration, an unreachable database)
`blocks_serving`: `trustcycle serve` runs the local checks on start and refuses only those.

No Prefect import here (the domain rule): the Prefect API is asked over HTTP, and the
caller (the CLI) supplies what only Prefect knows (the API URL, a Secret block's value,
the deployments a configuration registers).
"""
