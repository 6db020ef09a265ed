"""polyfix: find and fix what breaks Polytope projects."""
__version__ = "0.1.0"
