"""Flows of rj_escritorio that belong to no single project (none yet)."""
