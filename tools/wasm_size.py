#!/usr/bin/env python3
"""Where the bytes of a wasm module go (docs/build.md, "Package size").

  python3 tools/wasm_size.py sections FILE.wasm
      the module's sections, raw bytes each, and the file's raw and gzip -9 size.
  python3 tools/wasm_size.py functions FILE.wasm [--objects DIR ...] [--top N]
      FILE.wasm must carry a name section (link with --profiling-funcs, e.g. cmake -DBT_PROFILING=ON).
      Code bytes per function, summed per source directory: each function is attributed to the
      object file (found under DIR, recursively) that defines its symbol; functions the linker or
      binaryen made, and those defined only in libraries (libc++, libc, Embind's runtime), are grouped
      by name. Inlined functions count in their caller.
"""
import argparse
import collections
import gzip
import os
import re
import subprocess
import sys

SECTION_NAMES = {0: 'custom', 1: 'type', 2: 'import', 3: 'function', 4: 'table', 5: 'memory', 6: 'global',
                 7: 'export', 8: 'start', 9: 'element', 10: 'code', 11: 'data', 12: 'datacount'}


def leb(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return result, pos


def read_name(data, pos):
    n, pos = leb(data, pos)
    return data[pos:pos + n].decode('utf-8', 'replace'), pos + n


def sections(data):
    assert data[:4] == b'\0asm', 'not a wasm module'
    pos = 8
    while pos < len(data):
        sid = data[pos]
        size, body = leb(data, pos + 1)
        name = SECTION_NAMES.get(sid, str(sid))
        if sid == 0:
            cname, _ = read_name(data, body)
            name = f'custom "{cname}"'
        yield sid, name, body, size, body + size - pos
        pos = body + size


def imported_function_count(data, body):
    count, pos = leb(data, body)
    functions = 0
    for _ in range(count):
        _, pos = read_name(data, pos)
        _, pos = read_name(data, pos)
        kind = data[pos]
        pos += 1
        if kind == 0:
            _, pos = leb(data, pos)
            functions += 1
        elif kind == 1:  # table: reftype, limits
            pos += 1
            flags, pos = leb(data, pos)
            _, pos = leb(data, pos)
            if flags & 1:
                _, pos = leb(data, pos)
        elif kind == 2:  # memory: limits
            flags, pos = leb(data, pos)
            _, pos = leb(data, pos)
            if flags & 1:
                _, pos = leb(data, pos)
        elif kind == 3:  # global: valtype, mut
            pos += 2
        else:
            raise ValueError(f'unknown import kind {kind}')
    return functions


def function_names(data, body, size):
    _, pos = read_name(data, body)
    end = body + size
    names = {}
    while pos < end:
        sub = data[pos]
        sub_size, pos = leb(data, pos + 1)
        if sub == 1:
            count, p = leb(data, pos)
            for _ in range(count):
                index, p = leb(data, p)
                names[index], p = read_name(data, p)
        pos += sub_size
    return names


def code_sizes(data, body):
    count, pos = leb(data, body)
    sizes = []
    for _ in range(count):
        size, start = leb(data, pos)
        sizes.append(start + size - pos)
        pos = start + size
    return sizes


def demangle(names):
    out = subprocess.run(['llvm-cxxfilt'], input='\n'.join(names), capture_output=True, text=True, check=True)
    return out.stdout.split('\n')[:len(names)]


def object_symbols(dirs, root):
    """defined function symbol (demangled, as wasm-ld writes the name section) -> source paths."""
    owners = collections.defaultdict(set)
    objects = [os.path.join(d, f) for top in dirs for d, _, fs in os.walk(top) for f in fs if f.endswith('.o')]
    for obj in objects:
        out = subprocess.run(['llvm-nm', '--defined-only', '--demangle', obj], capture_output=True, text=True).stdout
        # CMake names objects <dir>/<target>.dir/<source path>.o
        m = re.search(r'\.dir/(.*)\.o$', obj)
        source = m.group(1) if m else os.path.relpath(obj, root)
        for line in out.splitlines():
            parts = line.split(None, 2)
            if len(parts) == 3 and parts[1] in 'tTwW':
                owners[parts[2]].add(source)
    return owners


def group_of(source):
    """src/kernels/gemm.cc -> src/kernels, src/models/blocks/x.cc -> src/models/blocks."""
    return os.path.dirname(source) or source


def library_group(demangled):
    if re.match(r'(emscripten::|_embind_|embind_|__embind|.*\bEmscriptenBindingInitializer)', demangled):
        return 'Embind (runtime + templates)'
    if re.search(r'\bemscripten::', demangled):
        return 'Embind (runtime + templates)'
    if re.match(r'(nlohmann::)', demangled):
        return 'nlohmann::json'
    if re.match(r'(std::|__cxx|__cxa|operator new|operator delete|void std::)', demangled) or 'std::__2::' in demangled:
        return 'libc++ (std::)'
    if re.match(r'(dlmalloc|dlfree|dlrealloc|emscripten_builtin_|sbrk|malloc|free|calloc|realloc|memalign)',
                demangled):
        return 'libc (malloc)'
    if re.match(r'(pthread|__pthread|emscripten_|_emscripten|__emscripten|__wasm|__em_|em_)', demangled):
        return 'emscripten runtime (pthreads, syscalls)'
    return 'libc / compiler-rt / other'


def kind_of(demangled):
    name = re.sub(r'^(void|bool|int|unsigned|auto|long|float|char|(?:[\w:]+(?:<.*?>)?[*&]*)) (?=[\w:~]+(?:<|\())', '', demangled)
    if 'emscripten::' in name.split('(')[0]:
        return 'Embind templates/runtime (emscripten::)'
    if name.startswith('nlohmann::'):
        return 'nlohmann::json templates'
    if name.startswith('std::'):
        return 'libc++ templates/runtime (std::)'
    if name.startswith('bt::'):
        return 'engine functions (bt::)'
    return 'other (libc, malloc, runtime)'


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('command', choices=['sections', 'functions'])
    parser.add_argument('wasm')
    parser.add_argument('--objects', nargs='*', default=[])
    parser.add_argument('--top', type=int, default=25)
    args = parser.parse_args()
    data = open(args.wasm, 'rb').read()
    secs = list(sections(data))
    if args.command == 'sections':
        print(f'{args.wasm}: {len(data):,} B raw, {len(gzip.compress(data, 9)):,} B gzip -9')
        for _, name, _, _, total in secs:
            print(f'  {name:28s} {total:>10,} B')
        return
    imports = next((imported_function_count(data, b) for sid, _, b, _, _ in secs if sid == 2), 0)
    names = next((function_names(data, b, s) for sid, n, b, s, _ in secs if n == 'custom "name"'), None)
    if not names:
        sys.exit(f'{args.wasm} has no function names: link it with --profiling-funcs')
    sizes = next(code_sizes(data, b) for sid, _, b, _, _ in secs if sid == 10)
    mangled = [names.get(imports + i, f'<function {imports + i}>') for i in range(len(sizes))]
    readable = demangle(mangled)
    owners = object_symbols(args.objects, os.getcwd()) if args.objects else {}
    groups = collections.Counter()
    counts = collections.Counter()
    files = collections.Counter()
    kinds = collections.Counter()
    for name, pretty, size in zip(mangled, readable, sizes):
        sources = owners.get(name) or owners.get(pretty)
        if sources and len(sources) == 1:
            source = next(iter(sources))
            group = group_of(source)
            files[source] += size
        elif sources:
            # an inline function or template instance emitted by several objects: its own directory if
            # all agree, else "templates/inline shared by several dirs"
            dirs = {group_of(s) for s in sources}
            group = dirs.pop() if len(dirs) == 1 else 'inline/templates used across src/ dirs'
            if group.startswith('src/') and re.match(r'(std::|void std::)', pretty):
                group = 'libc++ (std::)'
        else:
            group = library_group(pretty)
        groups[group] += size
        counts[group] += 1
        kinds[kind_of(pretty)] += size
    total = sum(sizes)
    print(f'code section: {total:,} B in {len(sizes):,} functions')
    print(f'  {"group":44s} {"bytes":>10s} {"share":>6s} {"funcs":>6s}')
    for group, size in groups.most_common():
        print(f'  {group:44s} {size:>10,} {100 * size / total:5.1f}% {counts[group]:>6}')
    print('\nby what the function is (its own name, wherever it was instantiated):')
    for kind, size in kinds.most_common():
        print(f'  {kind:44s} {size:>10,} {100 * size / total:5.1f}%')
    if files:
        print(f'\ntop {args.top} source files (functions defined in exactly one object):')
        for source, size in files.most_common(args.top):
            print(f'  {source:60s} {size:>10,}')
    print(f'\ntop {args.top} functions:')
    order = sorted(range(len(sizes)), key=lambda i: -sizes[i])
    for i in order[:args.top]:
        print(f'  {sizes[i]:>8,}  {readable[i][:150]}')


if __name__ == '__main__':
    main()
