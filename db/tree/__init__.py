"""Adding things to the tree, with clear refusals for bad input.

The database enforces the same rules (composite foreign keys on customer_id,
check constraints, unique OCPP ids); these functions check first so a caller
gets a sentence instead of an IntegrityError. Keyword-only arguments, one use
case per function, one module per entity; `db.tree_service` is the import path
callers use."""
