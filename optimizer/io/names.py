"""Sites named the way people name them: by code or by unique name, with "did you mean".

One rule for JSON batches (``optimizer.model.Batch`` resolves names while it checks
references, so a loaded batch holds codes only) and spreadsheets (the importer resolves
each order row first, to point a failure at its row and column in the user's language).

A reference is, in this order: a site code exactly; a site name exactly (spaces around it
ignored); a code or name ignoring case and inner spaces. A name shared by several sites
is ambiguous and names the candidate codes. Nothing found: up to three closest codes or
names by character similarity (``difflib``), which works for Chinese names without
pinyin: 明月材 → 明月村, V12 → V1/V2.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence

from optimizer.i18n import t

__all__ = ["NameIndex", "NameProblem", "closest", "did_you_mean"]

SIMILARITY_CUTOFF = 0.5  # difflib ratio; 0.6 (its default) misses V9 → V1 and 2-character names
_SPACE = re.compile(r"\s+")


def _key(text: str) -> str:
    return _SPACE.sub("", text).casefold()


def closest(text: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``choices`` most like ``text``, best first (case and spaces ignored).

    Similarity is ``difflib``'s ratio of matching characters; ties keep the order of
    ``choices`` (``difflib.get_close_matches`` would put V053 before V003 for V0O3).
    """
    key = _key(text)
    matcher = difflib.SequenceMatcher(b=key)
    scored: list[tuple[float, int, str]] = []
    seen: set[str] = set()
    for i, choice in enumerate(choices):
        other = _key(choice)
        if other in seen:
            continue
        seen.add(other)
        matcher.set_seq1(other)
        if matcher.real_quick_ratio() >= SIMILARITY_CUTOFF and (
            score := matcher.ratio()
        ) >= SIMILARITY_CUTOFF:
            scored.append((-score, i, choice))
    return [choice for _, _, choice in sorted(scored)[:n]]


def did_you_mean(choices: Sequence[str | tuple[str, str]], lang: str) -> str:
    """`` (did you mean 'a', 'b'?)`` in ``lang``, or "" without choices.

    A choice is a name, or a site as (code, name); a site shows as ``'name' (code)``.
    """
    if not choices:
        return ""
    zh = lang == "zh-CN"
    quoted = []
    for choice in choices:
        code, name = choice if isinstance(choice, tuple) else ("", choice)
        text = (f"“{name}”" if zh else f"'{name}'") if name else code
        if name and code:
            text += f"（{code}）" if zh else f" ({code})"
        quoted.append(text)
    return t("name.did_you_mean", lang, choices=("、" if zh else ", ").join(quoted))


class NameProblem(ValueError):
    """A reference that names no site (``candidates``: the closest) or several (the codes)."""

    def __init__(self, value: str, ambiguous: bool, candidates: list[tuple[str, str]]) -> None:
        super().__init__(value)
        self.value = value
        self.ambiguous = ambiguous
        self.candidates = candidates  # (code, name) pairs

    def message(self, lang: str = "en") -> str:
        """The reason in ``lang``; an unknown site's text starts ``unknown site '<value>'``."""
        if self.ambiguous:
            codes = ("、" if lang == "zh-CN" else ", ").join(c for c, _ in self.candidates)
            return t("name.ambiguous", lang, value=self.value, n=len(self.candidates),
                     codes=codes)
        return t("name.unknown_site", lang, value=self.value) + did_you_mean(
            self.candidates, lang
        )


class NameIndex:
    """Site codes and names, to turn what an order says into a site code."""

    def __init__(self, sites: Iterable[tuple[str, str]]) -> None:
        """``sites``: (code, name) pairs; an empty name is no name."""
        self._codes: dict[str, str] = {}
        self._names: dict[str, list[str]] = {}
        self._loose: dict[str, list[str]] = {}
        self._site: dict[str, tuple[str, str]] = {}  # a code or name -> (code, name)
        for code, name in sites:
            name = name.strip()
            self._codes.setdefault(code, name)
            self._loose.setdefault(_key(code), []).append(code)
            self._site.setdefault(code, (code, name))
            if name:
                self._names.setdefault(name, []).append(code)
                self._loose.setdefault(_key(name), []).append(code)
                self._site.setdefault(name, (code, name))

    def __contains__(self, text: str) -> bool:
        return text in self._codes

    def resolve(self, text: str) -> str:
        """The code ``text`` names; raises ``NameProblem`` when it names none or several."""
        if text in self._codes:
            return text
        for table, key in ((self._names, text.strip()), (self._loose, _key(text))):
            codes = list(dict.fromkeys(table.get(key, [])))
            if len(codes) == 1:
                return codes[0]
            if codes:
                raise NameProblem(text, True, [(c, self._codes[c]) for c in codes])
        near = [self._site[c] for c in closest(text, self._site, n=6)]
        raise NameProblem(text, False, list(dict.fromkeys(near))[:3])
