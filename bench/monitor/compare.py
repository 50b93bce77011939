"""The table of bench/monitor.sh: both tools' wall seconds and peak RSS (from `/usr/bin/time -v`),
the ratio, and whether they agree column by column (and with the drift make_data.py planted).

    python compare.py TRUTH.json EVIDENTLY.json EVIDENTLY.time MLPC.json MLPC.time MLPC_EXIT"""
import json
import re
import sys

truth, ev, ev_time, ours, ours_time, ours_exit = sys.argv[1:7]
truth, ev, ours = json.load(open(truth)), json.load(open(ev)), json.load(open(ours))


def timed(path):
    """Wall seconds, CPU seconds (user + system: wall alone misleads on a busy machine) and peak
    RSS (MiB) from GNU time's verbose report."""
    text = open(path).read()
    wall = re.search(r"Elapsed \(wall clock\) time.*: (\S+)", text).group(1)
    seconds = sum(float(part) * 60**i for i, part in enumerate(reversed(wall.split(":"))))
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
    cpu = sum(float(re.search(rf"{kind} time \(seconds\): (\S+)", text).group(1)) for kind in ("User", "System"))
    return seconds, cpu, rss_kb / 1024


ev_s, ev_cpu, ev_rss = timed(ev_time)
our_s, our_cpu, our_rss = timed(ours_time)
planted = set(truth["drifted"])
their_cols = {c["column"]: c for c in ev["columns"]}
our_cols = {c["column"]: c for c in ours["columns"]}


def flagged(cols):
    return {name for name, c in cols.items() if c["drifted"]}


print(f"data: {truth['rows']:,} rows x {truth['columns']} columns; planted drift in {len(planted)}: {', '.join(truth['drifted'])}")
print("| tool | seconds | CPU seconds | max RSS | ratio (Evidently s / tool s) | columns drifted | dataset drift |")
print("|---|---|---|---|---|---|---|")
print(f"| mlpc monitor | {our_s:.2f} | {our_cpu:.2f} | {our_rss:.0f} MiB | {ev_s / our_s:.1f}x | {len(flagged(our_cols))} | {ours['drift']} (exit {ours_exit}) |")
print(f"| Evidently {ev['version']} DataDriftPreset | {ev_s:.2f} | {ev_cpu:.2f} | {ev_rss:.0f} MiB | 1.0x | {len(flagged(their_cols))} | {ev['drift']} |")
print(f"(Evidently's parts: imports {ev['import_seconds']:.1f} s, read_csv {ev['read_seconds']:.1f} s, report {ev['report_seconds']:.1f} s)")
# mlpc's exit status is part of the contract: 3 exactly when it says the dataset drifted.
if (ours_exit == "3") != bool(ours["drift"]):
    print(f"WARNING: mlpc exited {ours_exit} but its JSON says drift={ours['drift']}")
if ours.get("rows") != ev["rows"]:
    print(f"WARNING: mlpc counted {ours.get('rows')} current rows, pandas {ev['rows']}")

both = sorted(set(their_cols) & set(our_cols))
agree_yes = [c for c in both if their_cols[c]["drifted"] and our_cols[c]["drifted"]]
agree_no = [c for c in both if not their_cols[c]["drifted"] and not our_cols[c]["drifted"]]
disagree = [c for c in both if their_cols[c]["drifted"] != our_cols[c]["drifted"]]
print(f"\nverdicts on {len(both)} columns: both drifted {len(agree_yes)}, both not {len(agree_no)}, disagree {len(disagree)}")
for name in sorted(set(their_cols) ^ set(our_cols)):
    print(f"  {name}: only {'Evidently' if name in their_cols else 'mlpc'} reports it")
for name in disagree:
    t, o = their_cols[name], our_cols[name]
    # mlpc's `value` is the p-value for tests (ks, chi2) and the distance otherwise.
    p = ""
    print(f"  {name}: Evidently {t['method']} {t['score']:.4g} (threshold {t['threshold']}) drifted={t['drifted']}; "
          f"mlpc {o['method']} {o['value']:.4g}{p} (threshold {o['threshold']}) drifted={o['drifted']}")
for tool, cols in (("mlpc", our_cols), ("Evidently", their_cols)):
    missed, false = planted - flagged(cols), flagged(cols) - planted
    print(f"against the planted drift, {tool}: missed {sorted(missed) or 'none'}, false alarms {sorted(false) or 'none'}")
