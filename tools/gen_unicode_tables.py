#!/usr/bin/python3
"""Generates src/tokenizers/unicode_tables.cc.

Run with the system Python and Perl (their Unicode versions are stamped into the output and must agree):
    /usr/bin/python3 tools/gen_unicode_tables.py > src/tokenizers/unicode_tables.cc

Data sources: Python's unicodedata for everything it knows (general category, canonical and
compatibility decompositions, canonical combining classes, composition, lowercase); Perl's
Unicode::UCD (the same Unicode version on Debian 12) for the properties unicodedata lacks
(Grapheme_Cluster_Break, Extended_Pictographic, Alphabetic, Script, Age).

The tables are what the tokenizers need and nothing more:
  * the general category per code point, as sorted range starts;
  * full canonical decompositions (NFD of one code point; Hangul is algorithmic and not stored) and,
    for the code points whose NFKD differs, full compatibility decompositions;
  * canonical combining classes (ranges) and the primary composites (pairs -> composite) for NFC/NFKC;
  * lowercase mappings as Rust's char::to_lowercase gives them (unconditional full case mapping):
    one-to-one mappings as arithmetic runs, one-to-many mappings as records;
  * Grapheme_Cluster_Break (with Extended_Pictographic) ranges, for extended grapheme clusters;
  * Alphabetic, for Rust's char::is_alphabetic / is_alphanumeric and the regex crate's \\w;
  * Script, and the Unicode version each code point was assigned in (Age): Hugging Face's
    UnicodeScripts pre-tokenizer uses a Unicode 9.0 script table, and the unicode_categories crate
    behind its punctuation and control-character tests is Unicode 8.0, so later code points are
    unknown there.
"""
import subprocess
import sys
import unicodedata

MAX_CP = 0x110000
HANGUL = range(0xAC00, 0xD7A4)

# Must match unicode.h (GeneralCategory, and CharClass derived from it).
CATEGORIES = ["Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps", "Pe", "Pi",
              "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Co", "Cn"]
# Must match unicode.h (GraphemeBreak).
GRAPHEME_BREAKS = ["Other", "CR", "LF", "Control", "Extend", "ZWJ", "Regional_Indicator", "Prepend", "SpacingMark",
                   "L", "V", "T", "LV", "LVT", "ExtPict"]

PERL = r'''
use Unicode::UCD qw(prop_invmap prop_invlist);
print "version ", Unicode::UCD::UnicodeVersion(), "\n";
my ($l, $m) = prop_invmap("Grapheme_Cluster_Break");
for my $i (0 .. $#$l) { print "gcb $l->[$i] $m->[$i]\n"; }
print "extpict @{[prop_invlist('Extended_Pictographic')]}\n";
print "alphabetic @{[prop_invlist('Alphabetic')]}\n";
($l, $m) = prop_invmap("Script");
for my $i (0 .. $#$l) { print "script $l->[$i] $m->[$i]\n"; }
($l, $m) = prop_invmap("Age");
for my $i (0 .. $#$l) { print "age $l->[$i] $m->[$i]\n"; }
'''


def perl_properties():
    out = subprocess.run(["perl", "-e", PERL], check=True, capture_output=True, text=True).stdout
    props = {"gcb": [], "script": [], "age": []}
    for line in out.splitlines():
        key, _, rest = line.partition(" ")
        if key == "version":
            props["version"] = rest
        elif key in ("extpict", "alphabetic"):
            props[key] = [int(v) for v in rest.split()]
        else:
            start, value = rest.split(" ", 1)
            props[key].append((int(start), value))
    return props


def in_invlist(invlist, cp):
    """prop_invlist: ranges start at even indices, end (exclusive) at odd ones."""
    lo, hi = 0, len(invlist)
    while lo < hi:
        mid = (lo + hi) // 2
        if invlist[mid] <= cp:
            lo = mid + 1
        else:
            hi = mid
    return lo % 2 == 1


def invmap_value(invmap, cp):
    lo, hi = 0, len(invmap)
    while lo < hi:
        mid = (lo + hi) // 2
        if invmap[mid][0] <= cp:
            lo = mid + 1
        else:
            hi = mid
    return invmap[lo - 1][1]


def ranges(value_of, shift):
    """Sorted `start << shift | value`: the value holds from start up to the next entry's start."""
    out, prev = [], None
    for cp in range(MAX_CP):
        value = value_of(cp)
        if value != prev:
            out.append(cp << shift | value)
            prev = value
    return out


def records(mapping):
    """cp | len << 21 followed by the len code points, sorted by cp."""
    out = []
    for cp in sorted(mapping):
        seq = [ord(c) for c in mapping[cp]]
        out.append(cp | len(seq) << 21)
        out.extend(seq)
    return out


def decompositions():
    canonical, compatibility = {}, {}
    for cp in range(MAX_CP):
        if cp in HANGUL:
            continue
        nfd = unicodedata.normalize("NFD", chr(cp))
        nfkd = unicodedata.normalize("NFKD", chr(cp))
        if nfd != chr(cp):
            canonical[cp] = nfd
        if nfkd != nfd:
            compatibility[cp] = nfkd
    return records(canonical), records(compatibility)


def compositions():
    """Primary composites: a two-code-point canonical mapping that NFC recomposes."""
    pairs = []
    for cp in range(MAX_CP):
        if cp in HANGUL:
            continue
        mapping = unicodedata.decomposition(chr(cp))
        if not mapping or mapping.startswith("<"):
            continue
        parts = [int(p, 16) for p in mapping.split()]
        if len(parts) != 2:
            continue
        if unicodedata.normalize("NFC", "".join(chr(p) for p in parts)) != chr(cp):
            continue  # composition exclusion or non-starter decomposition
        pairs.append((parts[0] << 21 | parts[1], cp))
    pairs.sort()
    return [k for k, _ in pairs], [v for _, v in pairs]


def lowercase():
    singles, multis = [], {}
    for cp in range(MAX_CP):
        low = chr(cp).lower()
        if low == chr(cp):
            continue
        if len(low) == 1:
            singles.append((cp, ord(low) - cp))
        else:
            multis[cp] = low
    # Runs of (start, count, stride, delta): code points start + k*stride map to themselves + delta.
    runs = []
    for cp, delta in singles:
        if runs:
            start, count, stride, d = runs[-1]
            last = start + (count - 1) * stride
            if d == delta and count == 1 and cp - last in (1, 2):
                runs[-1] = [start, 2, cp - last, d]
                continue
            if d == delta and count > 1 and cp - last == stride:
                runs[-1][1] += 1
                continue
        runs.append([cp, 1, 1, delta])
    return [v for run in runs for v in run], records(multis)


def emit(name, ctype, values, per_line, fmt):
    lines = [f"extern const {ctype} {name}[] = {{"]
    for i in range(0, len(values), per_line):
        lines.append("    " + ", ".join(fmt(v) for v in values[i:i + per_line]) + ",")
    lines.append("};")
    lines.append(f"extern const size_t {name}Size = {len(values)};")
    return "\n".join(lines)


def main():
    props = perl_properties()
    if props["version"] != unicodedata.unidata_version:
        sys.exit(f"Perl has Unicode {props['version']}, Python {unicodedata.unidata_version}: they must agree")

    category_index = {c: i for i, c in enumerate(CATEGORIES)}
    categories = ranges(lambda cp: category_index[unicodedata.category(chr(cp))], 5)

    extpict = props["extpict"]
    gcb_index = {g: i for i, g in enumerate(GRAPHEME_BREAKS)}
    gcb_index["ExtPict_XX"] = gcb_index["Other"]

    def grapheme_break(cp):
        value = gcb_index[invmap_value(props["gcb"], cp)]
        if value == gcb_index["Other"] and in_invlist(extpict, cp):
            return gcb_index["ExtPict"]
        return value
    grapheme = ranges(grapheme_break, 5)

    scripts = sorted({name for _, name in props["script"]} - {"Unknown"})
    scripts = ["Unknown"] + scripts
    script_index = {s: i for i, s in enumerate(scripts)}
    script_ranges = ranges(lambda cp: script_index[invmap_value(props["script"], cp)], 8)

    def age(cp):
        value = invmap_value(props["age"], cp)
        if value == "Unassigned":
            return 255
        major, minor = (int(v) for v in value.split("."))
        return major * 10 + minor
    ages = ranges(age, 8)

    canonical, compatibility = decompositions()
    composition_keys, composition_values = compositions()
    lower_runs, lower_multi = lowercase()
    ccc = ranges(lambda cp: unicodedata.combining(chr(cp)), 8)
    hexfmt = lambda v: f"0x{v:x}"
    name_list = ", ".join(f'"{s}"' for s in scripts)
    parts = [
        "// GENERATED by tools/gen_unicode_tables.py from Python's unicodedata and Perl's Unicode::UCD "
        f"(Unicode {unicodedata.unidata_version}). Do not edit.",
        "// Formats are documented in unicode_tables.h.",
        "#include \"tokenizers/unicode_tables.h\"",
        "",
        "namespace bt::tokenizers::unicode_tables {",
        "",
        emit("kCategoryRanges", "uint32_t", categories, 16, hexfmt),
        "",
        emit("kDecompositions", "uint32_t", canonical, 16, hexfmt),
        "",
        emit("kCompatDecompositions", "uint32_t", compatibility, 16, hexfmt),
        "",
        emit("kCombiningClassRanges", "uint32_t", ccc, 16, hexfmt),
        "",
        emit("kCompositionKeys", "uint64_t", composition_keys, 8, hexfmt),
        "",
        emit("kCompositionValues", "uint32_t", composition_values, 16, hexfmt),
        "",
        emit("kLowerRuns", "int32_t", lower_runs, 16, str),
        "",
        emit("kLowerMulti", "uint32_t", lower_multi, 12, hexfmt),
        "",
        emit("kGraphemeBreakRanges", "uint32_t", grapheme, 16, hexfmt),
        "",
        emit("kAlphabetic", "uint32_t", props["alphabetic"], 16, hexfmt),
        "",
        emit("kScriptRanges", "uint32_t", script_ranges, 16, hexfmt),
        "",
        f"extern const char* const kScriptNames[] = {{{name_list}}};",
        f"extern const size_t kScriptNamesSize = {len(scripts)};",
        "",
        emit("kAgeRanges", "uint32_t", ages, 16, hexfmt),
        "",
        "}  // namespace bt::tokenizers::unicode_tables",
        "",
    ]
    sys.stdout.write("\n".join(parts))


if __name__ == "__main__":
    main()
