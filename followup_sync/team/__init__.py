"""A sales team on one deployment: every rep's mailbox, passes run by a job engine, state in PostgreSQL.

The single-rep core (``sync.run_once``) does not know this package: a team pass builds each rep's config,
state and Microsoft 365 backends here and hands them to the core. Everything heavy (psycopg, procrastinate)
is imported only from this package and comes with the ``[team]`` extra; see docs/team.md.
"""
