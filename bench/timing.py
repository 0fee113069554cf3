"""One timed process for the bench scripts: CPU seconds of it and the children it waited for."""
import os
import subprocess
import time


def timed(args):
    """Runs `args` to its end with stdout discarded; returns ({cpu_s, wall_s, rss_kib}, stderr text).

    cpu_s is user + system time from wait4; a nonzero exit raises RuntimeError with the end of stderr.
    """
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    start = time.perf_counter()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {err[-2000:]}")
    return {"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "rss_kib": ru.ru_maxrss}, err
