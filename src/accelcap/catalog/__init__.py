"""Vendor facts the tools rely on, one table per module, each row with its source."""
