"""The progress display of ``freshroute solve``: phase, time, and the best plan so far.

The solve reports phases and whole-plan costs (``optimizer.routing.progress``); the
display shows the cheapest plan known, which never goes up, and a ticker thread redraws
it every second whether or not the solve reports, so a long phase (polishing, an engine
that finds nothing better) never looks frozen. On a terminal it is one live line; in a
log (not a terminal) a line every ``PLAIN_EVERY_S`` seconds.
"""

from __future__ import annotations

import math
import re
import threading
import time
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn

from optimizer.i18n import t
from optimizer.routing.progress import BestSoFar

TICK_S = 1.0  # how often the live line is redrawn
PLAIN_EVERY_S = 2.0  # how often a line is written when the output is not a terminal
_PHASE = re.compile(r"^(?:part (?P<i>\d+)/(?P<n>\d+): )?(?P<base>[^(]+?)(?: \((?P<engine>\w+)\))?$")


def phase_text(phase: str, lang: str) -> str:
    """A pipeline phase (``part 2/3: pairing (pyvrp)``) in ``lang``; engine names stay."""
    match = _PHASE.match(phase)
    if match is None:
        return phase
    text = t(f"progress.phase.{match['base'].replace(' ', '_')}", lang)
    if text.startswith("progress.phase."):  # a phase without a text: as reported
        text = match["base"]
    if match["engine"]:
        text += t("progress.engine", lang, engine=t(f"progress.engine.{match['engine']}", lang))
    if match["i"]:
        text = t("progress.part", lang, i=match["i"], n=match["n"]) + text
    return text


class SolveProgress:
    """Context manager: ``with SolveProgress(console, limit, lang) as p: plan_batch(...,
    progress=p.tracker)``. ``enabled=False`` (``--quiet``) shows nothing."""

    def __init__(
        self,
        console: Console,
        limit_s: float,
        lang: str,
        *,
        enabled: bool = True,
        tick_s: float = TICK_S,
        plain_every_s: float = PLAIN_EVERY_S,
    ) -> None:
        self.console = console
        self.limit_s = limit_s
        self.lang = lang
        self.enabled = enabled
        self.tick_s = tick_s
        self.plain_every_s = plain_every_s
        self.tracker = BestSoFar()
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Progress | None = None
        self._task = None

    def line(self) -> str:
        """The status line now: phase, seconds of the limit, best plan so far."""
        phase, best = self.tracker.snapshot()
        elapsed = time.monotonic() - self._started
        head = phase_text(phase, self.lang) if phase else t("progress.starting", self.lang)
        clock = t("progress.clock", self.lang, elapsed=elapsed, limit=self.limit_s)
        cost = (
            t("progress.best", self.lang, cost=best)
            if best < math.inf
            else t("progress.no_plan_yet", self.lang)
        )
        return f"{head} · {clock} · {cost}"

    def __enter__(self) -> SolveProgress:
        self._started = time.monotonic()
        if not self.enabled:
            return self
        if self.console.is_terminal:
            self._live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                console=self.console,
                transient=True,
            )
            self._live.__enter__()
            self._task = self._live.add_task(self.line(), total=None)
        self._thread = threading.Thread(target=self._tick, daemon=True, name="solve-progress")
        self._thread.start()
        return self

    def _tick(self) -> None:
        every = self.tick_s if self._live is not None else self.plain_every_s
        while not self._stop.wait(every):
            self.draw()

    def draw(self) -> None:
        """Redraw the live line, or write a line when the output is not a terminal."""
        if self._live is not None:
            self._live.update(self._task, description=self.line())  # type: ignore[arg-type]
        else:
            self.console.print(self.line(), markup=False, highlight=False)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._live is not None:
            self._live.__exit__(kind, error, trace)
