"""The reference side of `cargo loco task perf:recurrence`: expands the same
rules with python-dateutil's rrule and prints {"seconds", "occurrences"}.

Reads {"rounds": N, "window": [start, end], "rules": [{"dtstart", "rrule",
"exdates"}]} (local times, no offset) as JSON on stdin. Each round parses
every rule and lists its occurrences in the window (inclusive), as the Rust
side does.
"""
import json
import sys
import time
from datetime import datetime

from dateutil.rrule import rrulestr, rruleset

FMT = "%Y-%m-%dT%H:%M:%S"


def expand(rule, start, end):
    dtstart = datetime.strptime(rule["dtstart"], FMT)
    rs = rruleset()
    rs.rrule(rrulestr(rule["rrule"], dtstart=dtstart))
    for ex in rule["exdates"]:
        rs.exdate(datetime.strptime(ex, FMT))
    return rs.between(start, end, inc=True)


def main():
    job = json.load(sys.stdin)
    start = datetime.strptime(job["window"][0], FMT)
    end = datetime.strptime(job["window"][1], FMT)
    total = 0
    began = time.perf_counter()
    for _ in range(job["rounds"]):
        for rule in job["rules"]:
            total += len(expand(rule, start, end))
    seconds = time.perf_counter() - began
    print(json.dumps({"seconds": seconds, "occurrences": total}))


if __name__ == "__main__":
    main()
