"""Readable input errors: each names the JSON path of the bad field and the reason, in
English or Chinese.

Pydantic's own error types (missing field, wrong type, number bounds, choices, extra
fields) are rendered from ``t("pydantic.<type>", lang, **ctx)``; the batch model's own
checks raise ``InputMessage``, which carries one text per bad field in both languages.
Anything else keeps pydantic's English message. Paths stay as they are in the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, cast

from pydantic import ValidationError

from optimizer.i18n import LANGS, normalize_lang, t

Text = Callable[[str], str]  # a message in a language ("en", "zh-CN")
_TAGS = ("haversine", "matrix", "road_network")  # union tags pydantic adds to locations


def json_path(loc: tuple[int | str, ...]) -> str:
    """``("orders", 3, "kg")`` → ``orders[3].kg``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def join_path(base: str, path: str) -> str:
    """``batch`` + ``orders[1].site`` → ``batch.orders[1].site``."""
    return f"{base}.{path}" if base and path else base or path


def message(key: str, **params: object) -> Text:
    """The text of ``key`` with ``params`` in the language asked for."""
    return lambda lang: t(key, lang, **params)


class Said(str):
    """An English text that can also say itself in another language: ``in_lang(lang)``.

    Being a ``str``, it goes wherever an English reason went before; parameters that are
    ``Said`` themselves (a site kind, say) are translated too."""

    key: str
    params: dict[str, object]

    def __new__(cls, key: str, **params: object) -> Said:
        said = super().__new__(cls, t(key, "en", **params))
        said.key, said.params = key, params
        return said

    def in_lang(self, lang: str) -> str:
        params = {k: in_lang(v, lang) if isinstance(v, Said) else v for k, v in self.params.items()}
        return t(self.key, lang, **params)

    def __reduce__(self) -> tuple[object, ...]:  # pickled whole, e.g. to a worker process
        return (_said, (self.key, self.params))


def _said(key: str, params: dict[str, object]) -> Said:
    return Said(key, **params)


class Joined(Said):
    """Texts (``Said`` or plain) joined by a separator that differs by language: ``sep``
    is its catalogue key (``join.semicolon``: "; " in English, "；" in Chinese)."""

    parts: list[str]

    def __new__(cls, parts: Iterable[str], sep: str = "join.semicolon") -> Joined:
        parts = list(parts)
        said = str.__new__(cls, t(sep, "en").join(parts))
        said.key, said.params, said.parts = sep, {}, parts
        return said

    def in_lang(self, lang: str) -> str:
        return t(self.key, lang).join(in_lang(p, lang) for p in self.parts)

    def __reduce__(self) -> tuple[object, ...]:
        return (Joined, (self.parts, self.key))


class Rendered(Said):
    """A text already written in each language (``LANGS``) by ``render(lang)``: for what
    says itself by a ``text(lang)`` method rather than by a catalogue key."""

    texts: dict[str, str]

    def __new__(cls, render: Callable[[str], str]) -> Rendered:
        return cls.of({lang: render(lang) for lang in LANGS})

    @classmethod
    def of(cls, texts: dict[str, str]) -> Rendered:
        said = str.__new__(cls, texts["en"])
        said.key, said.params, said.texts = "", {}, dict(texts)
        return said

    def in_lang(self, lang: str) -> str:
        return self.texts.get(normalize_lang(lang), self.texts["en"])

    def __reduce__(self) -> tuple[object, ...]:
        return (Rendered.of, (self.texts,))


def in_lang(text: str, lang: str) -> str:
    """``text`` in ``lang`` when it is a ``Said``, else as it is."""
    return text.in_lang(lang) if isinstance(text, Said) else text


def exception_text(error: BaseException, lang: str) -> str:
    """An exception's message in ``lang`` where it carries a ``Said``, else as it is."""
    first = error.args[0] if error.args else None
    return in_lang(first, lang) if isinstance(first, Said) else str(error)


def said_data(value: object) -> object:
    """A ``Said`` (or ``Joined``) as JSON data that ``said_from_data`` makes it again, so
    that a stored message can still be said in any language; other values as JSON has
    them (numbers stay numbers for their format, anything else becomes its text)."""
    if isinstance(value, Rendered):
        return {"texts": value.texts}
    if isinstance(value, Joined):
        return {"join": value.key, "parts": [said_data(p) for p in value.parts]}
    if isinstance(value, Said):
        return {"key": value.key, "params": {k: said_data(v) for k, v in value.params.items()}}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)


def said_from_data(data: object) -> object:
    """The value ``said_data`` stored: a ``Said`` again where it was one."""
    if isinstance(data, dict) and "texts" in data:
        return Rendered.of(data["texts"])
    if isinstance(data, dict) and "join" in data:
        return Joined([cast(str, said_from_data(p)) for p in data.get("parts", [])], data["join"])
    if isinstance(data, dict) and "key" in data:
        params = {k: said_from_data(v) for k, v in (data.get("params") or {}).items()}
        return Said(str(data["key"]), **params)
    return data


class InputMessage(ValueError):
    """A validator's error(s), each a (path relative to the validated object, text).

    ``str()`` is the English text (``path: reason`` parts joined by ``"; "``), which is what
    pydantic shows; ``lines(lang)`` gives each part in ``lang``.
    """

    def __init__(self, items: Iterable[tuple[str, Text]]) -> None:
        self.items = list(items)
        super().__init__(self.text("en"))

    @classmethod
    def of(cls, key: str, **params: object) -> InputMessage:
        """One error at the validated object itself."""
        return cls([("", message(key, **params))])

    def lines(self, lang: str) -> list[tuple[str, str]]:
        return [(path, text(lang)) for path, text in self.items]

    def text(self, lang: str) -> str:
        sep = "；" if normalize_lang(lang) == "zh-CN" else "; "
        return sep.join(f"{p}: {r}" if p else r for p, r in self.lines(lang))


# Context keys pydantic gives each error type it reports here (see pydantic_core's
# ErrorType); a type without a key keeps pydantic's English message.
_PYDANTIC_TYPES = frozenset(
    {
        "missing",
        "extra_forbidden",
        "string_type",
        "float_type",
        "float_parsing",
        "int_type",
        "int_parsing",
        "int_from_float",
        "bool_type",
        "bool_parsing",
        "list_type",
        "dict_type",
        "model_type",
        "model_attributes_type",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "finite_number",
        "literal_error",
        "enum",
        "string_too_short",
        "string_too_long",
        "too_short",
        "too_long",
        "string_pattern_mismatch",
        "union_tag_invalid",
        "union_tag_not_found",
        "json_invalid",
        "json_type",
    }
)


def error_parts(e: Any, lang: str) -> list[tuple[str, str]]:
    """(relative path, reason) parts of one pydantic error, in ``lang``."""
    ctx = e.get("ctx") or {}
    cause = ctx.get("error")
    if isinstance(cause, InputMessage):
        return cause.lines(lang)
    if normalize_lang(lang) == "zh-CN" and e["type"] in _PYDANTIC_TYPES:
        params = {k: _show(v).replace(" or ", " 或 ") for k, v in ctx.items()}
        return [("", t(f"pydantic.{e['type']}", lang, **params))]
    return [("", str(e["msg"]).removeprefix("Value error, "))]


def _show(value: object) -> str:
    """A context value as the message shows it (numbers without a trailing .0)."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def field_errors(
    error: ValidationError,
    lang: str = "en",
    prefix: tuple[int | str, ...] = (),
    tags: tuple[str, ...] = _TAGS,
) -> list[tuple[str, str]]:
    """One (JSON path, reason in ``lang``) per problem; paths start with ``prefix`` when
    the validated document sits inside a request. ``tags``: union tags to leave out."""
    out = []
    for e in error.errors():
        # Tagged unions add the tag to the location ("travel.matrix.km"); keep the real path.
        base = json_path((*prefix, *(p for p in e["loc"] if p not in tags)))
        out += [(join_path(base, path), reason) for path, reason in error_parts(e, lang)]
    return out


def input_errors(error: ValidationError, lang: str = "en") -> list[str]:
    """One line per problem in a pydantic validation error, path first."""
    return [f"{p}: {r}" if p else r for p, r in field_errors(error, lang)]
