"""Column names the datalake accepts: ASCII snake_case, without accents, unique."""

import re
import unicodedata


def clean_column_name(name: str) -> str:
    """Turns a header into snake_case ASCII (`"PRECIPITAÇÃO (mm)"` → `precipitacao_mm`)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    snake = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_name).strip("_").lower()
    if not snake:
        return "coluna"
    return f"_{snake}" if snake[0].isdigit() else snake


def clean_column_names(names: list[str]) -> list[str]:
    """Cleans every header and makes the results unique with `_2`, `_3`, ... suffixes."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for name in names:
        base = clean_column_name(name)
        candidate, counter = base, 1
        while candidate in seen:
            counter += 1
            candidate = f"{base}_{counter}"
        seen.add(candidate)
        cleaned.append(candidate)
    return cleaned
