#!/usr/bin/env python3
"""check_layers.py — checks that mxrt's folders depend on one another one way
only, as docs/design.md draws them.

    python3 scripts/check_layers.py [BUILD_DIR ...]

Two kinds of dependency are checked:
  * includes: a source that includes another folder's private header
    (public headers in include/mx/ are the API and may be included anywhere);
  * calls: with BUILD_DIR (e.g. build/release), every object's undefined
    symbols are looked up among the objects that define them (nm), so a
    call through a public header counts too.
Prints the folder graph it found and each dependency that goes the wrong
way; exits 1 if there is one.
"""
import os
import re
import subprocess
import sys

# Each layer, with the layers it may use. Order is bottom to top.
LAYERS = [
    ('core', []),
    ('kernels', ['core']),                    # kernels/*.h: the table's contract, shared helpers
    ('kernels/cpu', ['core', 'kernels']),
    ('kernels/cuda', ['core', 'kernels']),
    ('formats', ['core']),
    ('runtime/ndarray', ['core', 'kernels', 'kernels/cpu', 'kernels/cuda', 'formats']),
    ('runtime/ops', ['core', 'kernels']),
    ('runtime/graph', ['core', 'kernels', 'formats', 'runtime/ops']),
    ('runtime/exec', ['core', 'kernels', 'kernels/cpu', 'formats', 'runtime/ndarray', 'runtime/ops',
                      'runtime/graph']),
    ('runtime/io', ['core', 'kernels', 'kernels/cpu', 'formats', 'runtime/ndarray']),
    ('runtime/fixed', ['core', 'kernels', 'kernels/cpu', 'formats', 'runtime/ndarray', 'runtime/ops',
                       'runtime/graph', 'runtime/exec']),
    ('runtime/train', ['core', 'kernels', 'kernels/cpu', 'formats', 'runtime/ndarray', 'runtime/ops',
                       'runtime/graph', 'runtime/exec', 'runtime/io']),
    ('mpi', ['core', 'runtime/train']),
    # ONNX in and out: only the public API below it, plus the readers'
    # helpers (formats/) and the generated protobuf-c code (build/*/gen).
    ('onnx', ['core', 'formats', 'runtime/ndarray', 'runtime/graph']),
]
ALLOWED = dict(LAYERS)
# Headers generated at build time (protoc-c from Debian's onnx.proto).
GENERATED = {'onnx/onnx.pb-c.h'}
ORDER = [name for name, _ in LAYERS]
SOURCE_EXT = ('.c', '.h', '.cu', '.cuh')
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def layer_of(path):
    """The layer a repository path belongs to, or None (apps, tests, include/)."""
    best = None
    for name in ORDER:
        if os.path.dirname(path) == name or (name != 'kernels' and path.startswith(name + '/')):
            best = name
    return best


def sources(root):
    for top in ('core', 'kernels', 'formats', 'runtime', 'mpi', 'onnx'):
        for dirpath, _, names in os.walk(os.path.join(root, top)):
            for n in sorted(names):
                if n.endswith(SOURCE_EXT):
                    yield os.path.relpath(os.path.join(dirpath, n), root)


def include_edges(root):
    edges = []  # (from_file, to_file)
    for src in sources(root):
        text = open(os.path.join(root, src), encoding='utf-8').read()
        for inc in INCLUDE.findall(text):
            if inc.startswith('mx/'):
                continue  # the public API
            if inc in GENERATED:
                continue  # written at build time into build/<variant>/gen/
            same_dir = os.path.normpath(os.path.join(os.path.dirname(src), inc))
            target = same_dir if os.path.exists(os.path.join(root, same_dir)) else os.path.normpath(inc)
            if not os.path.exists(os.path.join(root, target)):
                edges.append((src, '?' + inc))
                continue
            edges.append((src, target))
    return edges


def nm_symbols(obj):
    out = subprocess.run(['nm', '-P', obj], capture_output=True, text=True, check=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == 'U':
            undefined.add(name)
        elif kind.upper() in 'TDBRCGSVW' and kind.isupper():
            defined.add(name)
    return defined, undefined


def call_edges(root, build):
    """(object's source, symbol, defining source) for calls between library objects."""
    objs = {}
    for dirpath, _, names in os.walk(build):
        for n in names:
            if n.endswith('.o'):
                rel = os.path.relpath(os.path.join(dirpath, n), build)
                # Objects of sources that moved or went away stay in old builds.
                if layer_of(rel) is None or not any(os.path.exists(os.path.join(root, rel[:-2] + e))
                                                    for e in ('.c', '.cu')):
                    continue
                objs[rel] = nm_symbols(os.path.join(dirpath, n))
    definer = {}
    for rel, (defined, _) in objs.items():
        for s in defined:
            definer.setdefault(s, rel)
    edges = []
    for rel, (_, undefined) in sorted(objs.items()):
        for s in sorted(undefined):
            if s in definer:
                edges.append((rel, s, definer[s]))
    return edges, len(objs)


def main(argv):
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    bad = []
    graph = {}

    def note(a_path, b_path, how):
        a, b = layer_of(a_path), layer_of(b_path)
        if a is None or b is None or a == b:
            return
        graph.setdefault(a, set()).add(b)
        if b not in ALLOWED[a]:
            bad.append('%s: %s %s (%s may not use %s)' % (a_path, how, b_path, a, b))

    inc = include_edges(root)
    for src, target in inc:
        if target.startswith('?'):
            bad.append('%s: includes "%s", which is not in the tree' % (src, target[1:]))
        else:
            note(src, target, 'includes')
    n_calls = 0
    for build in argv:
        if not os.path.isdir(build):
            print('check_layers: %s: no such build folder' % build)
            return 2
        edges, n_objs = call_edges(root, build)
        if n_objs == 0:
            print('check_layers: %s: no library objects (build it first)' % build)
            return 2
        n_calls += len(edges)
        for obj, sym, where in edges:
            note(obj[:-2], where[:-2], 'calls %s in' % sym)
    print('check_layers: %d include lines%s between %d folders' % (
        len(inc), ' and %d calls' % n_calls if argv else '', len(ORDER)))
    for name in ORDER:
        if name in graph:
            print('  %-16s uses %s' % (name, ', '.join(sorted(graph[name], key=ORDER.index))))
    for line in sorted(set(bad)):
        print('check_layers: wrong way: ' + line)
    if bad:
        print('check_layers: %d dependencies go against docs/design.md\'s layers' % len(set(bad)))
        return 1
    print('check_layers: every dependency goes down the layers')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
