"""Monthly settlement (DOMAIN.md §8): polars jobs over the settled sessions and
the ledger produce invoices, statements and settlement files for finance."""
