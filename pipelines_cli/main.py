"""Entry point of the `pipelines` console script.

It imports the flows before the commands, so that an error in an orgao's code is
reported as one line (file, line, error) instead of a traceback from the import.
"""

import sys


def main() -> None:
    """Imports every orgao, then runs the command line."""
    try:
        import pipelines  # noqa: F401  # pylint: disable=unused-import
    # Any error at all may come out of user code while importing the orgaos.
    except Exception as exc:  # pylint: disable=broad-exception-caught
        from pipelines_cli.registry import describe_import_error

        if "--debug" in sys.argv:
            raise
        print(f"Error: {describe_import_error(exc)}", file=sys.stderr)
        sys.exit(1)

    from pipelines_cli.app import app

    app()
