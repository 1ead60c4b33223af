"""The language of the command line's help (``--help``): Chinese when ``FRESHROUTE_LANG``
or, without it, the locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG``) says Chinese
(``zh-CN``, ``zh_CN.UTF-8`` …), else English.

Help is built when the commands are declared, before ``--lang`` is parsed, so it follows
the environment only. The texts are the ``help.*`` keys of ``optimizer.i18n``, Typer's own
words among them (panel titles, ``[default: …]``, the usage line, the ``--help`` option),
which ``HelpCommand``/``HelpGroup`` and ``localize_typer`` put in place.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any

import rich.text
import typer.core
import typer.rich_utils

from optimizer.i18n import Lang, t

_LOCALE_VARS = ("LC_ALL", "LC_MESSAGES", "LANG")  # in the order POSIX gives them weight


def help_lang(env: Mapping[str, str] = os.environ) -> Lang:
    """zh-CN when ``FRESHROUTE_LANG``, else the first locale variable set, is Chinese."""
    chosen = env.get("FRESHROUTE_LANG") or next(
        (env[name] for name in _LOCALE_VARS if env.get(name)), ""
    )
    return "zh-CN" if chosen.strip().lower().startswith("zh") else "en"


HELP_LANG: Lang = help_lang()


def h(key: str) -> str:
    """The help text ``help.<key>`` in the help language."""
    return t(f"help.{key}", HELP_LANG)


def _usage(text: str) -> str:
    return text.replace("Usage: ", h("ui.usage"), 1)


def _help_option(option: Any) -> Any:
    if option is not None:
        option.help = h("ui.help_option")
    return option


def _hint(param: Any) -> str:
    """How a usage error names a parameter: its options, or the argument's name."""
    names = list(getattr(param, "opts", None) or []) if param.param_type_name == "option" else []
    return " / ".join(f"'{n}'" for n in names) or f"'{param.name}'"


def _usage_error(error: Exception) -> str | None:
    """A mistyped command line said in the help language: an unknown option, or a
    missing argument or option (None: say it as Typer does)."""
    if HELP_LANG == "en":
        return None
    if type(error).__name__ == "NoSuchOption":
        text = h("ui.no_such_option").format(name=getattr(error, "option_name", ""))
        choices = sorted(getattr(error, "possibilities", None) or [])
        return text + (h("ui.possible").format(choices=", ".join(choices)) if choices else "")
    param = getattr(error, "param", None)
    if type(error).__name__ == "MissingParameter" and param is not None:
        kind = "option" if param.param_type_name == "option" else "argument"
        return h(f"ui.missing_{kind}").format(name=_hint(param))
    return None


class HelpCommand(typer.core.TyperCommand):
    """A command whose usage line, ``--help`` option and errors about a mistyped command
    line speak the help language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if HELP_LANG != "en":
            self.options_metavar = h("ui.options_metavar")

    def get_usage(self, ctx: Any) -> str:
        return _usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except Exception as e:
            said = _usage_error(e)
            if said is None:
                raise
            ctx.fail(said)  # the same kind of usage error, in the help language
            raise


class HelpGroup(typer.core.TyperGroup):
    """A group of commands whose usage line, ``--help`` and unknown commands speak the
    help language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if HELP_LANG != "en":
            self.options_metavar = h("ui.options_metavar")
            self.subcommand_metavar = h("ui.subcommand_metavar")

    def get_usage(self, ctx: Any) -> str:
        return _usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if HELP_LANG != "en" and unknown:
            ctx.fail(h("ui.no_such_command").format(name=name))
        return super().resolve_command(ctx, args)


# Typer's words in its help panels and error box (``typer.rich_utils``), by help key.
_TYPER_WORDS = {
    "ARGUMENTS_PANEL_TITLE": "ui.arguments",
    "OPTIONS_PANEL_TITLE": "ui.options",
    "COMMANDS_PANEL_TITLE": "ui.commands",
    "ERRORS_PANEL_TITLE": "ui.error",
    "DEFAULT_STRING": "ui.default",
    "ENVVAR_STRING": "ui.envvar",
    "REQUIRED_LONG_STRING": "ui.required",
    "ABORTED_TEXT": "ui.aborted",
    "RICH_HELP": "ui.try_help",
    "DEPRECATED_STRING": "ui.deprecated",
}


def localize_typer() -> None:
    """Typer's own words in the help language (module settings Typer reads as it prints);
    in English they stay Typer's.

    Chinese has no spaces to wrap at, and the help panels cut a longer line short with
    "…" unless a text folds: the help texts are made to fold (where Typer makes them)."""
    if HELP_LANG == "en":
        return
    for name, key in _TYPER_WORDS.items():
        setattr(typer.rich_utils, name, h(key))
    make_text = getattr(typer.rich_utils, "_make_rich_text", None)
    if make_text is not None:
        typer.rich_utils._make_rich_text = functools.partial(_folding, make_text)


def _folding(make_text: Callable[..., Any], **kwargs: Any) -> Any:
    text = make_text(**kwargs)
    if isinstance(text, rich.text.Text):
        text.overflow = "fold"
    return text
