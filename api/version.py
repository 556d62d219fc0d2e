"""The platform's version, as the API publishes it (OpenAPI info, /health) and
`energycloud up` prints it: the installed distribution's version."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def platform_version() -> str:
    try:
        return version("energycloud")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "0.0.0"
