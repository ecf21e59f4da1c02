"""Rendering a Copier template of this package into a fresh temporary folder."""

import logging
import warnings
from pathlib import Path
from typing import Any

from pipelines_cli.scaffold.exceptions import ScaffoldWriteError

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"

logger = logging.getLogger(__name__)


def render_template(name: str, target: Path, answers: dict[str, Any]) -> list[Path]:
    """Renders `templates/<name>` into `target`, which must not exist.

    Args:
        name: "orgao" or "project".
        target: the folder to create and fill.
        answers: every question of the template's `copier.yml`.

    Returns:
        The files written, sorted.

    Raises:
        ScaffoldWriteError: Copier failed, or a rendered Python file does not parse.
    """
    # NOTE: copier is only needed here; importing it costs most of a second.
    import copier

    template = TEMPLATES_DIR / name
    logger.debug("Rendering template %r into %s with %r", name, target, answers)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            copier.run_copy(
                str(template),
                str(target),
                data=answers,
                defaults=True,
                quiet=True,
                unsafe=False,
                overwrite=False,
            )
    except Exception as exc:  # pylint: disable=broad-exception-caught  # copier's many
        raise ScaffoldWriteError(
            f"Rendering the {name} template failed: {type(exc).__name__}: {exc}"
        ) from exc
    files = sorted(path for path in target.rglob("*") if path.is_file())
    for path in files:
        if path.suffix == ".py":
            try:
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
            except SyntaxError as exc:
                raise ScaffoldWriteError(
                    f"The {name} template rendered {path.name} that does not parse "
                    f"(line {exc.lineno}): {exc.msg}"
                ) from exc
    return files
