"""Persistence: typed models, engines and sessions, migrations, and loading the config.

`Database.from_url(url)` gives a migrated engine and session factory; a unit of work is
`with db.sessions.begin() as session:`. The domain never imports this package.
"""

from trustcycle.db.session import (
    Database,
    begin_immediate,
    database_url,
    make_engine,
    make_session_factory,
    migrate,
)

__all__ = [
    "Database",
    "begin_immediate",
    "database_url",
    "make_engine",
    "make_session_factory",
    "migrate",
]
