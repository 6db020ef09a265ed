"""polyfix: find and fix what breaks Polytope projects."""
__version__ = "0.1.0"  # the one place the version is written (pyproject.toml reads it)
