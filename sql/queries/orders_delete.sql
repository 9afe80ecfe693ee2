-- Orders are derived data (not the ledger): an order that no longer follows from the facts goes.
DELETE FROM orders WHERE order_key IN :order_keys
