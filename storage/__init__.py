"""SQLAlchemy implementations of core's repositories: rows in, domain objects out.

Every repository works inside the session of the unit of work that built it and never
commits: the unit of work decides what is kept.
"""
