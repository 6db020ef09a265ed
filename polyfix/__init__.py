"""polyfix: find and fix what breaks Polytope projects."""
__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)


def main() -> None:
    """The `polyfix` command (cli.entry). Ctrl-C while polyfix's modules are still loading ends it
    as it does later, with `Aborted!` and exit 1, not a traceback from the middle of an import."""
    try:
        from .cli import entry
    except KeyboardInterrupt:
        import sys

        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    entry()
