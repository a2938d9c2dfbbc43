#!/usr/bin/python3
# objcycles.py - no object file of the core library imports from another in a
# circle: each object's undefined symbols are looked up among the others'
# definitions (nm), and the strongly connected components of that graph must
# all be single objects. A circle means two files that cannot be understood
# (or tested) apart; docs/hacking.md says how the layers keep them apart.
#   tests/unit/objcycles.py [BUILD_DIR]     (default: build, else build-asan)
import os
import subprocess
import sys

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def objects(build):
    root = os.path.join(build, "CMakeFiles", "fbcore.dir", "src")
    out = []
    for d, _, files in os.walk(root):
        out += [os.path.join(d, f) for f in files if f.endswith(".o")]
    return sorted(out)


def symbols(obj):
    """(defined, undefined) global symbols of obj."""
    p = subprocess.run(["nm", "-P", "-g", obj], capture_output=True, text=True, check=True)
    defined, undefined = set(), set()
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        (undefined if parts[1] == "U" else defined).add(parts[0])
    return defined, undefined


def components(nodes, edges):
    """Tarjan's strongly connected components, iteratively."""
    index, low, on, stack, out, counter = {}, {}, set(), [], [], [0]
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter[0]
        counter[0] += 1
        stack.append(start)
        on.add(start)
        while work:
            v, it = work[-1]
            pushed = False
            for w in it:
                if w not in index:
                    index[w] = low[w] = counter[0]
                    counter[0] += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(edges[w]))))
                    pushed = True
                    break
                if w in on:
                    low[v] = min(low[v], index[w])
            if pushed:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(comp)
    return out


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else None
    for b in ([build] if build else [os.path.join(TOP, "build"), os.path.join(TOP, "build-asan")]):
        objs = objects(b)
        if objs:
            break
    else:
        print("objcycles: FAIL: no objects of the core library (scripts/build)")
        return 1
    defs, needs, owner = {}, {}, {}
    for o in objs:
        d, u = symbols(o)
        defs[o], needs[o] = d, u
        for s in d:
            owner.setdefault(s, o)
    edges = {o: {owner[s] for s in needs[o] if s in owner and owner[s] != o} for o in objs}
    name = lambda o: os.path.relpath(o, os.path.join(b, "CMakeFiles", "fbcore.dir"))[:-2]
    circles = [c for c in components(objs, edges) if len(c) > 1]
    for c in circles:
        print("objcycles: FAIL: a circle: " + " <-> ".join(sorted(name(o) for o in c)))
    print("objcycles: %d objects, %d circles" % (len(objs), len(circles)))
    return 1 if circles else 0


if __name__ == "__main__":
    sys.exit(main())
