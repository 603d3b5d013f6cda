from __future__ import annotations

from pathlib import Path

import pytest

from market.errors import ConfigurationError
from market.settings import Settings


def test_defaults_use_the_embedded_database_in_var() -> None:
    settings = Settings.from_env({})
    assert settings.uses_embedded_database
    assert settings.home == Path("var")
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)


def test_database_url_spellings_become_asyncpg() -> None:
    settings = Settings.from_env({"DATABASE_URL": "postgres://u:p@db:5432/market"})
    assert settings.database_url == "postgresql+asyncpg://u:p@db:5432/market"
    assert not settings.uses_embedded_database


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_URL": "mysql://u@h/db"}, "PostgreSQL URL"),
        ({"MARKET_PORT": "eighty"}, "MARKET_PORT"),
        ({"MARKET_SCHEDULER": "maybe"}, "yes/no"),
        ({"MARKET_METRICS_TOKEN": "too-short"}, "MARKET_METRICS_TOKEN"),
        ({"MARKET_METRICS_TOKEN": "a long token with spaces in it"}, "MARKET_METRICS_TOKEN"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(env)


def test_settings_are_frozen() -> None:
    settings = Settings()
    with pytest.raises(AttributeError):
        settings.port = 1  # type: ignore[misc]


def test_every_settings_field_has_a_docstring() -> None:
    import ast
    import inspect

    import market.settings as module

    tree = ast.parse(inspect.getsource(module))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name in {"Settings", "AuthSettings"}:
            body = node.body
            for i, stmt in enumerate(body):
                if isinstance(stmt, ast.AnnAssign):
                    following = body[i + 1] if i + 1 < len(body) else None
                    assert isinstance(following, ast.Expr) and isinstance(following.value, ast.Constant), (
                        f"{node.name}.{ast.unparse(stmt.target)} has no docstring"
                    )


def test_metrics_token_is_read_and_kept_out_of_repr() -> None:
    assert Settings.from_env({}).metrics_token is None
    settings = Settings.from_env({"MARKET_METRICS_TOKEN": "k3y-for-the-operator-0123"})
    assert settings.metrics_token == "k3y-for-the-operator-0123"
    assert "k3y-for-the-operator" not in repr(settings)
