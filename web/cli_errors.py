"""How every ``market`` subcommand reports an expected failure: one red line on stderr and
exit status 1, no traceback. Its own module so that ``web.cli`` (the command) and the
subcommand modules it gathers (``web.registry_cli`` …) both import it without importing
each other."""

from __future__ import annotations

import sys
from collections.abc import Callable
from functools import wraps
from typing import Any, NoReturn, TypeVar

import click

from market.errors import MarketError

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str) -> NoReturn:
    """Print ``market: message`` in red on stderr and exit with status 1."""
    click.secho(f"market: {message}", fg="red", err=True)
    sys.exit(1)


def friendly_errors(func: F) -> F:
    """Turn expected failures into one line on stderr and exit status 1, no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except MarketError as exc:
            fail(exc.message)
        except KeyboardInterrupt:
            fail("interrupted")
        except OSError as exc:
            fail(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or ''})")

    return wrapper  # type: ignore[return-value]
