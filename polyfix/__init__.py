"""polyfix: find and fix what breaks Polytope projects."""
__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)


def main() -> None:
    """The `polyfix` command (cli.entry). Ctrl-C while polyfix's modules are still loading ends it
    as it does later, with `Aborted!` and exit 1, not a traceback from the middle of an import."""
    import atexit
    import gc

    # Python's exit goes through every object the collector tracks, 3-6 ms of a one-file run
    # (more after a file than after none), to find the few cycles a process about to end leaves.
    # Frozen objects are not gone through. Frozen only then, as the process exits: a program that
    # catches the command's SystemExit and goes on keeps its collector as it was.
    atexit.unregister(gc.freeze)  # called again in one process: once is enough
    atexit.register(gc.freeze)
    # Python's collector ran 12 to 18 times while polyfix's modules loaded (2-3 ms of a 25 ms
    # import), going through modules, classes and functions that live to the end, to free nothing.
    # It is off while they load; then what they made goes to the oldest generation in one step
    # (freeze, then unfreeze), not through the youngest's next collection, which would go through it all.
    enabled = gc.isenabled()
    gc.disable()
    try:
        from .cli import entry
    except KeyboardInterrupt:
        import sys

        sys.stderr.write("\nAborted!\n")
        raise SystemExit(1) from None
    finally:
        if gc.get_freeze_count() == 0:  # a program that froze objects itself keeps them frozen
            gc.freeze()
            gc.unfreeze()
        if enabled:
            gc.enable()
    entry()
