"""A benchmark process's own peak resident memory, which ``ru_maxrss`` is not for a child of a large parent.

On Linux, ``execve`` folds the peak of the address space it replaces into the new program's ``ru_maxrss``: a
pass started with ``subprocess`` (vfork + exec) by a benchmark that holds 150 MB of messages reports at least
150 MB, whatever the pass itself uses (source_bench's parent keeps the window's raw messages for its floors).
``VmHWM`` in /proc/self/status is the high-water mark of the current address space, so of this program since it
started. Where there is no /proc, ``ru_maxrss`` is what there is.
"""

from __future__ import annotations

import resource
import sys


def peak_rss_mb() -> float:
    """This process's peak RSS in MB (since its exec on Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
