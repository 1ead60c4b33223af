"""Peak memory of a process, its own: VmHWM, not ``ru_maxrss``.

On Linux a child's ``ru_maxrss`` starts at its parent's peak (the kernel keeps the old
image's high-water mark across fork and exec), so a small child of a large benchmark
process would report the parent's memory. VmHWM (/proc/PID/status) is the high-water
mark of the process's current image only.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def peak_rss_mib(pid: int | str = "self") -> float:
    """The process's peak resident memory so far (VmHWM), MiB; NaN where unreadable."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return float("nan")
    for line in text.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_with_peak(
    cmd: list[str], every_s: float = 0.02, cwd: Path | None = None
) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``cmd`` to the end; its result and its peak RSS (MiB, sampled every ``every_s``).

    VmHWM only grows, so the last sample before the exit is the peak up to then; growth
    in the final ``every_s`` seconds can be missed.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd)
    peak = 0.0
    while proc.poll() is None:
        now = peak_rss_mib(proc.pid)
        if now == now:  # not NaN: the process still exists
            peak = max(peak, now)
        time.sleep(every_s)
    out, err = proc.communicate()
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), peak
