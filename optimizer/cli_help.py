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


class HelpCommand(typer.core.TyperCommand):
    """A command whose usage line and ``--help`` option speak the help language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if HELP_LANG != "en":
            self.options_metavar = h("ui.options_metavar")

    def get_usage(self, ctx: Any) -> str:
        return _usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))


class HelpGroup(typer.core.TyperGroup):
    """A group of commands whose usage line and ``--help`` speak the help language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if HELP_LANG != "en":
            self.options_metavar = h("ui.options_metavar")
            self.subcommand_metavar = h("ui.subcommand_metavar")

    def get_usage(self, ctx: Any) -> str:
        return _usage(super().get_usage(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        return _help_option(super().get_help_option(ctx))


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
