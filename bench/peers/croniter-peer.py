#!/usr/bin/python3
# SPDX-License-Identifier: ISC
"""The croniter side of bench/compare (Debian's python3-croniter).

Same command line and output lines as bench/cron-bench. One croniter
object per expression and zone; each chain sets it to its start and calls
get_next() for every step, which continues from the previous fire time.
Run with /usr/bin/python3, where Debian installs the module.
"""
import argparse
import sys
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from croniter import croniter


def walk(it, tz, start, steps, trace):
    """Walks one chain; returns its last fire time (epoch s) or None."""
    it.set_current(datetime.fromtimestamp(start, tz), force=True)
    last = None
    for _ in range(steps):
        try:
            last = int(it.get_next(float))
        except Exception:  # croniter signals "no more" with its own errors
            last = None
            break
        if trace is not None:
            trace.append(last)
    if last is None and trace is not None:
        trace.append(None)
    return last


def fmt(values):
    return " ".join("none" if v is None else str(v) for v in values)


def run_case(o, zone, expr):
    try:
        tz = ZoneInfo(zone)
        it = croniter(expr, datetime.fromtimestamp(o.starts[0], tz))
    except Exception as err:  # report any parse failure as the peer's
        msg = " ".join(str(err).split())
        print(f"case\t{zone}\t{expr}\terror\t{msg}", flush=True)
        return
    # With a budget, no repetition starts once it is spent; with -p as well,
    # the first pass stops at the first chain that ends past it and later
    # passes repeat those chains.
    begin = time.monotonic()
    best = None
    count = len(o.starts)
    finals = []
    for r in range(o.reps):
        t0 = time.monotonic()
        if r > 0 and o.budget > 0 and t0 - begin > o.budget:
            break
        finals = []
        for s in o.starts[:count]:
            finals.append(walk(it, tz, s, o.steps, None))
            if (r == 0 and o.partial and o.budget > 0
                    and time.monotonic() - begin > o.budget):
                break
        count = len(finals)
        dt = time.monotonic() - t0
        if best is None or dt < best:
            best = dt
    rate = round(count * o.steps / best)
    print(f"case\t{zone}\t{expr}\t{rate}\t{fmt(finals)}", flush=True)
    if o.trace >= 0:
        trace = []
        walk(it, tz, o.starts[o.trace], o.steps, trace)
        print(f"trace\t{zone}\t{expr}\t{o.trace}\t{fmt(trace)}", flush=True)


def main():
    p = argparse.ArgumentParser(prog="croniter-peer.py")
    p.add_argument("-n", dest="steps", type=int, default=1000)
    p.add_argument("-r", dest="reps", type=int, default=5)
    p.add_argument("-t", dest="trace", type=int, default=-1)
    p.add_argument("-b", dest="budget", type=float, default=0)
    p.add_argument("-p", dest="partial", action="store_true")
    p.add_argument("-z", dest="zones", action="append", required=True)
    p.add_argument("-e", dest="exprs", action="append", required=True)
    p.add_argument("starts", type=int, nargs="+")
    o = p.parse_args()
    for zone in o.zones:
        for expr in o.exprs:
            run_case(o, zone, expr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
