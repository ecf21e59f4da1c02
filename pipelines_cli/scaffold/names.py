"""Naming rules of new orgaos and projects, and the names derived from a slug.

An orgao slug is `rj_<nome>` (the package `pipelines/rj_<nome>/`, the agent labels
`rj-<nome>` and `rj-<nome>-dev`); a project is a lower-case Python identifier. The
SIGLA cannot be derived from the slug (`rj_escritorio` is `EMD`), so it is given.
"""

import keyword
import re
from dataclasses import dataclass

from pipelines_cli.checks.names import SIGLA
from pipelines_cli.checks.sources import PACKAGE_FILES
from pipelines_cli.scaffold.exceptions import InvalidNameError

ORGAO_SLUG = re.compile(r"^rj_[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
PROJECT_SLUG = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
MAX_SLUG_LENGTH = 30
MAX_SIGLA_LENGTH = 15

# Names a project folder cannot take: the orgao's own modules, and test folders.
RESERVED_PROJECT_NAMES = frozenset(
    {name.removesuffix(".py") for name in PACKAGE_FILES} | {"test", "tests", "data"}
)
RESERVED_ORGAO_NAMES = frozenset({"rj_utils"})


@dataclass(frozen=True)
class OrgaoNames:
    """The names a new orgao brings: its package, SIGLA and agent labels."""

    slug: str
    sigla: str

    @property
    def label_constant(self) -> str:
        """The global constant of its production agent label."""
        return f"{self.slug.upper()}_AGENT_LABEL"

    @property
    def dev_label_constant(self) -> str:
        """The global constant of its development agent label."""
        return f"{self.slug.upper()}_DEV_AGENT_LABEL"

    @property
    def label(self) -> str:
        """Its production agent label, e.g. `rj-smtr`."""
        return self.slug.replace("_", "-")

    @property
    def dev_label(self) -> str:
        """Its development agent label, e.g. `rj-smtr-dev`."""
        return f"{self.label}-dev"


def validate_orgao_slug(slug: str) -> str:
    """Checks an orgao slug.

    Raises:
        InvalidNameError: it is not `rj_` plus lower-case words, or is too long.
    """
    if not ORGAO_SLUG.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise InvalidNameError(
            f"Invalid orgao slug {slug!r}: an orgao is 'rj_' followed by lower-case "
            f"letters, digits and single underscores, at most {MAX_SLUG_LENGTH} "
            "characters (e.g. 'rj_smtr'); it names pipelines/<slug>/ and the agent "
            "labels rj-<nome> and rj-<nome>-dev."
        )
    if slug in RESERVED_ORGAO_NAMES:
        raise InvalidNameError(f"Invalid orgao slug {slug!r}: that name is reserved.")
    return slug


def validate_project_slug(slug: str) -> str:
    """Checks a project name.

    Raises:
        InvalidNameError: it is not a lower-case identifier, is too long, is a
            Python keyword or the name of one of the orgao's own modules.
    """
    if not PROJECT_SLUG.match(slug) or len(slug) > MAX_SLUG_LENGTH:
        raise InvalidNameError(
            f"Invalid project name {slug!r}: a project is lower-case letters, digits "
            "and single underscores, starting with a letter, at most "
            f"{MAX_SLUG_LENGTH} characters (e.g. 'geolocator'); it names the folder "
            "pipelines/<orgao>/<projeto>/."
        )
    if keyword.iskeyword(slug) or slug in RESERVED_PROJECT_NAMES:
        raise InvalidNameError(
            f"Invalid project name {slug!r}: it is a Python keyword or the name of a "
            f"module every orgao has ({', '.join(sorted(RESERVED_PROJECT_NAMES))}); "
            "choose another name."
        )
    return slug


def validate_sigla(sigla: str) -> str:
    """Checks a SIGLA.

    Raises:
        InvalidNameError: it is not upper-case letters and digits (words joined by
            hyphens), or is too long.
    """
    if not SIGLA.match(sigla) or len(sigla) > MAX_SIGLA_LENGTH:
        raise InvalidNameError(
            f"Invalid SIGLA {sigla!r}: a SIGLA is upper-case letters and digits, "
            f"starting with a letter, at most {MAX_SIGLA_LENGTH} characters (e.g. "
            "'EMD', 'SMTR'); every flow name of the orgao starts with it."
        )
    return sigla
