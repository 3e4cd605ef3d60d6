"""bgdesk: remove image backgrounds on your own computer."""

__version__ = "0.1.0"
