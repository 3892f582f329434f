"""Relocation planning (退城入园): movers, free sites, the assignment, before and after."""
