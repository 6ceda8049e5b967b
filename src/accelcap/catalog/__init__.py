"""Vendor facts the tools rely on, one table per module, each with the upstream source it
was read from (a ``SOURCES`` tuple, or one beside each row). Tables are data: the code that
reads them lives with the tools, and ``docs/catalog.md`` is generated from them."""
