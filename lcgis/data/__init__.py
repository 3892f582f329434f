"""The data floor: the contract's fields, reading files, checks at the boundary, CRS choice."""
