"""Helper functions of rj_escritorio shared by several projects (none yet)."""
