#!/usr/bin/python3
"""Generates src/tokenizers/unicode_tables.cc.

Run with the system Python and Perl (their Unicode versions are stamped into the output and must agree):
    /usr/bin/python3 tools/gen_unicode_tables.py > src/tokenizers/unicode_tables.cc

Data sources: Python's unicodedata for everything it knows (general category, canonical and
compatibility decompositions, canonical combining classes, composition, lowercase); Perl's
Unicode::UCD (the same Unicode version on Debian 12) for the properties unicodedata lacks
(Grapheme_Cluster_Break, Extended_Pictographic, Alphabetic, Script, Age).

Every table is written packed (a byte string of LEB128 varints, formats in unicode_tables.h) and
unpacked once, on first use, by unicode.cc into the plain arrays the lookups search: ~43 KB in the
wasm instead of ~121 KB. The generator checks that unpacking gives back every table exactly.

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


def varint(value, out):
    """Unsigned LEB128."""
    assert value >= 0
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)


def zigzag(value):
    return value << 1 if value >= 0 else ((-value) << 1) - 1


def read_varint(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def unzigzag(value):
    return value >> 1 if value % 2 == 0 else -((value + 1) >> 1)


def pack_deltas(values):
    """kPackedDeltas: zigzag(v[i] - v[i-1]) with v[-1] = 0, one varint each."""
    out, prev = bytearray(), 0
    for v in values:
        varint(zigzag(v - prev), out)
        prev = v
    return bytes(out)


def unpack_deltas(data, count):
    values, pos, prev = [], 0, 0
    for _ in range(count):
        delta, pos = read_varint(data, pos)
        prev += unzigzag(delta)
        values.append(prev)
    assert pos == len(data)
    return values


def pack_records(table):
    """kPackedRecords: per record varint((cp - previous cp) << 3 | min(length, 7)), varint(length) when
    length >= 7, then the code points: the first as zigzag(first - previous record's first), the others
    as zigzag(cp[i] - cp[i-1])."""
    out, i, prev_cp, prev_first = bytearray(), 0, 0, 0
    while i < len(table):
        cp, length = table[i] & ((1 << 21) - 1), table[i] >> 21
        seq = table[i + 1:i + 1 + length]
        assert length >= 1 and cp >= prev_cp
        varint((cp - prev_cp) << 3 | min(length, 7), out)
        if length >= 7:
            varint(length, out)
        ref = prev_first
        for k, v in enumerate(seq):
            varint(zigzag(v - ref), out)
            ref = v
        prev_cp, prev_first = cp, seq[0]
        i += 1 + length
    return bytes(out)


def unpack_records(data):
    table, pos, prev_cp, prev_first = [], 0, 0, 0
    while pos < len(data):
        head, pos = read_varint(data, pos)
        cp, length = prev_cp + (head >> 3), head & 7
        if length == 7:
            length, pos = read_varint(data, pos)
        table.append(cp | length << 21)
        ref = prev_first
        for k in range(length):
            delta, pos = read_varint(data, pos)
            ref += unzigzag(delta)
            table.append(ref)
            if k == 0:
                prev_first = ref
        prev_cp = cp
    return table


def emit(name, values, records=False):
    """kName: the packed bytes of `values` (a record table if `records`), checked by unpacking."""
    data = pack_records(values) if records else pack_deltas(values)
    assert (unpack_records(data) if records else unpack_deltas(data, len(values))) == values, name
    kind = "kPackedRecords" if records else "kPackedDeltas"
    lines = [f"constexpr uint8_t {name}Bytes[] = {{"]
    for i in range(0, len(data), 24):
        lines.append("    " + ",".join(str(b) for b in data[i:i + 24]) + ",")
    lines.append("};")
    lines.append(f"extern const PackedTable {name} = {{{name}Bytes, sizeof({name}Bytes), {len(values)}, {kind}}};")
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
    name_list = ", ".join(f'"{s}"' for s in scripts)
    parts = [
        "// GENERATED by tools/gen_unicode_tables.py from Python's unicodedata and Perl's Unicode::UCD "
        f"(Unicode {unicodedata.unidata_version}). Do not edit.",
        "// Formats are documented in unicode_tables.h.",
        "#include \"tokenizers/unicode_tables.h\"",
        "",
        "namespace bt::tokenizers::unicode_tables {",
        "",
        emit("kCategoryRanges", categories),
        "",
        emit("kDecompositions", canonical, records=True),
        "",
        emit("kCompatDecompositions", compatibility, records=True),
        "",
        emit("kCombiningClassRanges", ccc),
        "",
        emit("kCompositionKeys", composition_keys),
        "",
        emit("kCompositionValues", composition_values),
        "",
        emit("kLowerRuns", lower_runs),
        "",
        emit("kLowerMulti", lower_multi, records=True),
        "",
        emit("kGraphemeBreakRanges", grapheme),
        "",
        emit("kAlphabetic", props["alphabetic"]),
        "",
        emit("kScriptRanges", script_ranges),
        "",
        f"extern const char* const kScriptNames[] = {{{name_list}}};",
        f"extern const size_t kScriptNamesSize = {len(scripts)};",
        "",
        emit("kAgeRanges", ages),
        "",
        "}  // namespace bt::tokenizers::unicode_tables",
        "",
    ]
    sys.stdout.write("\n".join(parts))


if __name__ == "__main__":
    main()
