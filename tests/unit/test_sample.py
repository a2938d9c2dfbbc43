#!/usr/bin/python3
# test_sample.py - experiments/traces/sample on a large synthetic trace: the samples
# are nested, the distance it prints is the Wasserstein-1 distance (computed here
# another way), it beats random sets of the same size, and it is seeded. A value
# faasbench's trace loader refuses (negative, inf, nan, a fraction of a count) is
# refused here too, naming the file, line and column, and no sample is written.
import csv
import math
import os
import random
import subprocess
import sys
import tempfile

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SAMPLER = os.path.join(TOP, "experiments", "traces", "sample")
SIZES = [8, 16, 32, 64]
failures = []


def check(ok, msg):
    if not ok:
        failures.append(msg)


def write_2019(path, rng, n=400, minutes=60):
    """n functions with log-normal mean rates (a few busy, most rare), Poisson
    counts per minute: the skew of the real traces."""
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["HashOwner", "HashApp", "HashFunction", "Trigger"]
                   + [str(m) for m in range(1, minutes + 1)])
        for i in range(n):
            rate = math.exp(rng.gauss(0.0, 2.0))
            counts = []
            for _ in range(minutes):
                c, t = 0, rng.expovariate(rate)
                while t < 1.0 and c < 10000:
                    c += 1
                    t += rng.expovariate(rate)
                counts.append(c)
            w.writerow(["o%d" % (i // 10), "a%d" % (i // 5), "h%d" % i, "http"] + counts)


def write_2021(path, rng, n=60):
    rows = []
    for i in range(n):
        rate = math.exp(rng.gauss(-1.0, 1.5))  # per second
        t = rng.uniform(0, 5)
        while t < 600:
            d = rng.uniform(0.01, 2)
            rows.append((t + d, "app%d" % (i // 3), "f%d" % i, d))
            t += rng.expovariate(rate)
    rows.sort()
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["app", "func", "end_timestamp", "duration"])
        for end, app, func, d in rows:
            w.writerow([app, func, "%.3f" % end, "%.3f" % d])


def rates_2019(path):
    with open(path, newline="") as f:
        r = csv.reader(f)
        header = next(r)
        minutes = len(header) - 4
        return {row[2]: sum(float(c) for c in row[4:]) / minutes for row in r}


def w1_quantiles(a, b):
    """W1 as the integral over u of |Qa(u) - Qb(u)| (not the CDF area the
    sampler computes): breakpoints at i/len(a) and j/len(b)."""
    a, b = sorted(a), sorted(b)
    us = sorted({i / len(a) for i in range(len(a) + 1)} | {j / len(b) for j in range(len(b) + 1)})
    total = 0.0
    for u0, u1 in zip(us, us[1:]):
        mid = (u0 + u1) / 2
        total += abs(a[min(int(mid * len(a)), len(a) - 1)] - b[min(int(mid * len(b)), len(b) - 1)]) * (u1 - u0)
    return total


def shape(rates):
    return [math.log10(1 + r) for r in rates]


def run(trace, out, fmt="azure", seed=7, sizes=SIZES):
    p = subprocess.run([sys.executable, SAMPLER, "--format", fmt, "--sizes",
                        ",".join(map(str, sizes)), "--seed", str(seed), "--out", out, trace],
                       capture_output=True, text=True)
    check(p.returncode == 0, "sampler failed: " + p.stderr)
    lines = [l for l in p.stdout.splitlines() if l and not l.startswith("#")]
    check(lines[0] == "k,w1,ks,invocations_per_minute,file", "header: " + lines[0])
    return {int(l.split(",")[0]): float(l.split(",")[1]) for l in lines[1:]}, p.stdout


def functions_of(path, key):
    with open(path, newline="") as f:
        return {key(row) for row in list(csv.reader(f))[1:]}


# Bad values: (format, the file's lines, line and column named, what is said).
BAD = [
    ("azure", ["HashOwner,HashApp,HashFunction,Trigger,1,2,3", "o,a,h1,http,1,2,3",
               "o,a,h2,http,4,-1,0"], 3, "column 6 (minute 2)", "'-1' is negative"),
    ("azure", ["HashOwner,HashApp,HashFunction,Trigger,1,2", "o,a,h1,http,inf,2"],
     2, "column 5 (minute 1)", "'inf' is not a finite number"),
    ("azure", ["HashOwner,HashApp,HashFunction,Trigger,1,2", "o,a,h1,http,1,nan"],
     2, "column 6 (minute 2)", "'nan' is not a finite number"),
    ("azure", ["HashOwner,HashApp,HashFunction,Trigger,1,2", "o,a,h1,http,1.5,2"],
     2, "column 5 (minute 1)", "'1.5' is not a whole number"),
    ("azure", ["HashOwner,HashApp,HashFunction,Trigger,1,2", "o,a,h1,http,1_0,2"],
     2, "column 5 (minute 1)", "'1_0' is not a number"),
    ("azure", ["HashOwner,HashApp,HashFunction,Trigger,1", "o,a,h1,http,1e9"],
     2, "column 5 (minute 1)", "'1e9' is more than 100000000 invocations"),
    ("azure2021", ["app,func,end_timestamp,duration", "a,f,5.0,1.0", "a,g,7.0,inf"],
     3, "column 4 (duration)", "'inf' is not a finite number"),
    ("azure2021", ["app,func,end_timestamp,duration", "a,f,nan,1.0"],
     2, "column 3 (end_timestamp)", "'nan' is not a finite number"),
    ("azure2021", ["app,func,end_timestamp,duration", "a,f,5.0,1.0", "a,f,6.0,-0.5"],
     3, "column 4 (duration)", "'-0.5' is negative"),
    ("azure2021", ["app,func,end_timestamp,duration", "a,f,-infinity,1.0"],
     2, "column 3 (end_timestamp)", "'-infinity' is not a finite number"),
    ("azure2021", ["app,func,end_timestamp,duration", "a,f,40000000,1.0"],
     2, "column 3 (end_timestamp)", "'40000000' is more than a year"),
]


def check_bad(tmp):
    """Each bad file: exit 2, one message naming file:line: column, no sample."""
    for i, (fmt, lines, line, column, what) in enumerate(BAD):
        path = os.path.join(tmp, "bad%d.csv" % i)
        out = os.path.join(tmp, "bad%d" % i)
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        p = subprocess.run([sys.executable, SAMPLER, "--format", fmt, "--sizes", "1",
                            "--out", out, path], capture_output=True, text=True)
        want = "sample: %s:%d: %s: %s\n" % (path, line, column, what)
        check(p.returncode == 2 and p.stderr == want,
              "bad%d: exit %d, said %r, want exit 2 and %r" % (i, p.returncode, p.stderr, want))
        written = os.listdir(out) if os.path.exists(out) else []
        check(written == [], "bad%d: wrote %s" % (i, written))


def main():
    rng = random.Random(2019)
    with tempfile.TemporaryDirectory() as tmp:
        trace = os.path.join(tmp, "big.csv")
        write_2019(trace, rng)
        rates = rates_2019(trace)
        whole = shape(rates.values())
        d, text = run(trace, os.path.join(tmp, "a"))
        print(text, end="")
        picked = {k: functions_of(os.path.join(tmp, "a", "sample-%d.csv" % k), lambda r: r[2])
                  for k in SIZES}
        for k in SIZES:
            check(len(picked[k]) == k, "sample-%d has %d functions" % (k, len(picked[k])))
            # The distance printed is the W1 of the file it wrote.
            mine = w1_quantiles(shape(rates[h] for h in picked[k]), whole)
            check(abs(mine - d[k]) < 1e-5, "k=%d: printed %.6f, recomputed %.6f" % (k, d[k], mine))
            # Better than most random sets of k: below their median.
            rnd = sorted(w1_quantiles(shape(rng.sample(list(rates.values()), k)), whole)
                         for _ in range(60))
            print("k=%d: w1 %.4f, random sets: median %.4f" % (k, d[k], rnd[30]))
            check(d[k] < rnd[30], "k=%d: w1 %.4f not below the random median %.4f"
                  % (k, d[k], rnd[30]))
        for k in SIZES[:-1]:
            check(picked[k] <= picked[2 * k], "sample-%d is not inside sample-%d" % (k, 2 * k))
        # Seeded: the same seed, the same files; another seed, other ones.
        run(trace, os.path.join(tmp, "b"))
        run(trace, os.path.join(tmp, "c"), seed=8)
        for k in SIZES:
            same = open(os.path.join(tmp, "a", "sample-%d.csv" % k)).read()
            check(same == open(os.path.join(tmp, "b", "sample-%d.csv" % k)).read(),
                  "sample-%d differs with the same seed" % k)
        check(functions_of(os.path.join(tmp, "c", "sample-64.csv"), lambda r: r[2]) != picked[64],
              "another seed gave the same sample")

        # 2021: functions are (app, func) pairs; rows kept whole and in order.
        t21 = os.path.join(tmp, "t21.csv")
        write_2021(t21, rng)
        d21, _ = run(t21, os.path.join(tmp, "d"), fmt="azure2021", sizes=[5, 10, 20])
        rows = open(t21).read().splitlines()[1:]
        got = {k: open(os.path.join(tmp, "d", "sample-%d.csv" % k)).read().splitlines()[1:]
               for k in (5, 10, 20)}
        pos = {r: i for i, r in enumerate(rows)}
        for k in (5, 10, 20):
            fns = {tuple(r.split(",")[:2]) for r in got[k]}
            check(len(fns) == k, "2021 sample-%d has %d functions" % (k, len(fns)))
            check(all(r in pos for r in got[k]), "2021 sample-%d has rows not in the trace" % k)
            check([pos[r] for r in got[k]] == sorted(pos[r] for r in got[k]),
                  "2021 sample-%d is not in the trace's order" % k)
            check(len(got[k]) == sum(1 for r in rows if tuple(r.split(",")[:2]) in fns),
                  "2021 sample-%d lost rows of its functions" % k)
        for k in (5, 10):
            check({tuple(r.split(",")[:2]) for r in got[k]}
                  <= {tuple(r.split(",")[:2]) for r in got[2 * k]},
                  "2021 sample-%d is not inside sample-%d" % (k, 2 * k))
        check_bad(tmp)
    if failures:
        print("\n".join(failures))
        return 1
    print("test_sample: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
