#!/usr/bin/env python3
"""report.py STEPS_CSV [--run ID]... [--all] [--corpus CORPUS.info]: markdown tables of peers.sh runs.

One table per tool:variant. Figures are medians over the repetitions of the chosen runs
(default: the newest run; --run is repeatable; --all takes every row); the wall column
also lists every repetition, in order. MB = 10^6 bytes.
  MB/s       logical bytes of the tree / wall time (S1-S4)
  repo +MB   growth of the repository in the step (S5: negative = given back)
  repo files regular files in the repository folder after the step (objects, packs, indexes,
             snapshots...: what a file system or an object store holds); 0 on S3
  sync s     the `sync` right after the step: data the tool left dirty
  requests   (s3 variants) HTTP requests the gateway served in the step, by verb, from
             radosgw's usage log: PUT / GET / HEAD / LIST / DELETE (+ other, when any)
"""

import argparse
import csv
import statistics
from collections import OrderedDict

STEPS = OrderedDict([("S0", "init"), ("S1", "first backup"), ("S2", "2nd backup, unchanged"),
                     ("S3", "mutate + 3rd backup"), ("S4", "restore latest"), ("S5", "forget + gc")])
VERBS = ("put", "get", "head", "list", "delete", "other")


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def shown(value, digits=1):
    return "" if value is None else f"{value:.{digits}f}"


def step_row(step, repetitions):
    """One markdown row for `step` over the repetitions (each a dict step -> CSV row)."""
    rows = [rep[step] for rep in repetitions if step in rep and number(rep[step]["wall_s"]) is not None]
    if not rows:
        return None, None
    walls = [number(r["wall_s"]) for r in rows]
    previous = list(STEPS)[list(STEPS).index(step) - 1] if step != "S0" else None
    growth = [(number(rep[step]["repo_bytes"]) - number(rep[previous]["repo_bytes"])) / 1e6
              for rep in repetitions if step in rep and previous in rep
              and number(rep[step]["repo_bytes"]) is not None and number(rep[previous]["repo_bytes"]) is not None]
    rates = [number(r["logical_bytes"]) / 1e6 / number(r["wall_s"]) for r in rows
             if number(r["logical_bytes"]) and number(r["wall_s"])]
    cells = [step, STEPS[step],
             f"{median(walls):.2f} ({', '.join(f'{w:.2f}' for w in walls)})",
             shown(median(rates), 0),
             shown(median([number(r["user_s"]) + number(r["sys_s"]) for r in rows])),
             shown(median([number(r["max_rss_kb"]) * 1024 / 1e6 for r in rows]), 0),
             shown(median([number(r["repo_bytes"]) / 1e6 for r in rows])),
             shown(median(growth)),
             shown(median([number(r.get("repo_files")) for r in rows]), 0),
             shown(median([number(r["sync_s"]) for r in rows]), 2)]
    requests = {verb: median([number(r.get(f"req_{verb}")) for r in rows]) for verb in VERBS}
    failed = [r["exit"] for r in rows if r["exit"] not in ("0", "")]
    if failed:
        cells[1] += f" (**exit {', '.join(failed)}**)"
    return cells, requests


def table(tool, variant, repetitions):
    print(f"### {tool} ({variant})\n")
    rows = []
    for step in STEPS:
        cells, requests = step_row(step, repetitions)
        if cells:
            rows.append((cells, requests))
    counted = any(v is not None for _, requests in rows for v in requests.values())
    with_other = any((requests.get("other") or 0) > 0 for _, requests in rows)
    verbs = [v for v in VERBS if v != "other" or with_other]
    header = ["step", "scenario", "wall s (median; each)", "MB/s", "CPU s", "peak RSS MB", "repo MB", "repo +MB", "repo files", "sync s"]
    if counted:
        header.append("requests " + " / ".join(v.upper() for v in verbs))
    print("| " + " | ".join(header) + " |")
    print("|---|---|---|" + "---:|" * (len(header) - 3))
    for cells, requests in rows:
        if counted:
            cells.append(" / ".join(shown(requests[v], 0) or "?" for v in verbs))
        print("| " + " | ".join(cells) + " |")
    verdicts = sorted({rep["verify"]["note"] for rep in repetitions if "verify" in rep})
    copies = [number(rep["copy"]["wall_s"]) for rep in repetitions if "copy" in rep]
    logical = [number(rep["copy"]["logical_bytes"]) for rep in repetitions if "copy" in rep]
    print()
    if verdicts:
        print(f"restore verification: {'; '.join(verdicts)}  ")
    if copies:
        print(f"`cp -a` of the corpus + sync before each repetition: {', '.join(f'{c:.1f}' for c in copies)} s "
              f"({logical[0] / 1e6:.0f} MB of files)")
    print()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("csv")
    parser.add_argument("--run", action="append", default=[])
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--corpus", help="the corpus's .info file, quoted at the top")
    arguments = parser.parse_args()

    with open(arguments.csv, newline="") as file:
        rows = list(csv.DictReader(file))
    if not rows:
        raise SystemExit(f"report.py: no rows in '{arguments.csv}'")
    if not arguments.all:
        runs = arguments.run or [max(r["run_id"] for r in rows)]
        rows = [r for r in rows if r["run_id"] in runs]
        if not rows:
            raise SystemExit(f"report.py: no rows of run {', '.join(runs)} in '{arguments.csv}'")

    by_tool = OrderedDict()
    for row in rows:
        repetitions = by_tool.setdefault((row["tool"], row["variant"]), OrderedDict())
        repetitions.setdefault((row["run_id"], row["rep"]), {})[row["step"]] = row

    print(f"Runs {', '.join(sorted({r['run_id'] for r in rows}))}; cache: {', '.join(sorted({r['cache'] for r in rows}))} "
          "(warm = caches dropped, then the step's inputs re-read; cold = dropped; none = as the last step left them; /ext4 = on a new ext4 per tool and repetition, SCRATCH_FS=ext4)  ")
    if arguments.corpus:
        try:
            with open(arguments.corpus) as file:
                info = dict(line.rstrip("\n").split(": ", 1) for line in file if ": " in line)
            print(f"Corpus: {info.get('files')} files, {int(info.get('bytes', 0)) / 1e6:.0f} MB, "
                  f"digest_all {info.get('digest_all', '?')[:16]}")
        except OSError:
            print(f"Corpus: no description at {arguments.corpus}")
    print()
    for (tool, variant), repetitions in by_tool.items():
        table(tool, variant, list(repetitions.values()))


if __name__ == "__main__":
    main()
