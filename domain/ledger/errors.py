"""The ledger's refusal: an entry or account that must not exist."""

from __future__ import annotations

from domain.errors import Invalid


class LedgerError(Invalid):
    """A journal entry that must not exist (unbalanced, malformed)."""

    code = "ledger.invalid"
