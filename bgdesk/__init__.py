"""bgdesk: remove image backgrounds on your own computer.

`__version__` is the one place the version is declared: the package's metadata
(pyproject.toml), `bgdesk --version`, the API and the installers all read it from here.
"""

__version__ = "0.1.0"
