"""Pure domain rules of Energy Cloud: no I/O, no database, no clock.

Everything here is deterministic so it can run inside Temporal workflows and be
tested exhaustively. See ../shared/DOMAIN.md for the rules these modules encode.
"""
