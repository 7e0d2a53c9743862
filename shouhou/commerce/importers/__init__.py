"""Order-export import: streaming readers, the column mapping, row parsing (pure), and the two-pass runner.

The platform-neutral mapping lives in columns.py; services.orders_import() is the entry point."""
