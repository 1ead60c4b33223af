"""The ``freshroute`` command line with the service commands: ``serve`` and ``apikey``.

``optimizer`` never imports ``api``: this module adds the service commands to the
optimizer's typer app, and the ``freshroute`` console script points at ``main`` here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from optimizer.cli import app
from optimizer.cli_help import HelpCommand, HelpGroup, h

if TYPE_CHECKING:
    from api.core.config import Settings

apikey_app = typer.Typer(cls=HelpGroup, help=h("apikey"), no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")


def _settings(**overrides: object) -> Settings:
    """The service settings; a bad FRESHROUTE_* value ends the command with exit code 2."""
    from api.core.config import Settings, SettingsError

    try:
        return Settings.from_env(**overrides)
    except SettingsError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from None


@app.command(help=h("serve"), cls=HelpCommand)
def serve(
    host: Annotated[str, typer.Option(help=h("serve.host"))] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help=h("serve.port"))] = 8000,
    workers: Annotated[int | None, typer.Option(min=0, help=h("serve.workers"))] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help=h("serve.access_log"))
    ] = True,
) -> None:
    import uvicorn

    from api.main import create_app

    settings = _settings(**({"workers": workers} if workers is not None else {}))
    uvicorn.run(create_app(settings), host=host, port=port, access_log=access_log)


@apikey_app.command("create", help=h("apikey_create"), cls=HelpCommand)
def apikey_create(
    county: Annotated[str, typer.Option("--county", help=h("apikey_create.county"))],
) -> None:
    from api.db import make_engine, upgrade
    from api.store import Store

    settings = _settings()
    engine = make_engine(settings.database_url, settings.sqlite_synchronous)
    try:
        upgrade(engine)
        try:
            key = Store(engine).create_api_key(county)
        except ValueError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(2) from None
    finally:
        engine.dispose()
    typer.echo(f"API key for county '{county.strip()}' (shown once; only its hash is stored):")
    typer.echo(key)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
