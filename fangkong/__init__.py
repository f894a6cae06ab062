"""fangkong: epidemic prevention and return to work across a large enterprise group."""

__version__ = "0.1.0"
