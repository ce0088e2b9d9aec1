#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""replay_respell.py FILE.replay...: write FILE.respelled next to each.

The same operations, spelled every way docs/semantics.md ("Replay") allows,
so that the cross test holds both replay readers to the rulings and not only
to the one spelling oracle_test writes:
- numbers in decimal, 0x hex with lower- or upper-case digits, leading
  zeros, a K/M/G/T suffix when the value is a multiple of it (the IDs of
  group and detach, and v2, bitmap and data, included);
- keys in any order, after the positional words;
- keys that only restate a default (prot=rw, npages=1, devices=1, the
  implied argsz and flags words, flags=1 for bitmap=1 on unmap);
- white space runs of spaces, tabs, vertical tabs and form feeds, leading
  and trailing, a CR before the newline, comments after an operation,
  blank and comment lines between;
- lines near the 4096-byte limit (leading zeros in a number, or a comment,
  bring a line to 3900-4096 bytes).
Every result must stay the same: the cross test compares the results of
the respelled file with those of the original, and the two readers' whole
outputs with each other. The random choices are seeded by the file name.
"""
import random
import sys

LINE_MAX = 4096
WORD_KEYS = {"prot", "mode"}  # values that are words, not numbers
LIST_KEYS = {"ranges"}  # logstart's A:S,A:S,...: each number respelled
SPACES = [" ", "  ", "\t", " \t ", "\v", "\f", "   "]


def spell(v, rng, zeros=True):
    """One spelling of the number v (0 <= v < 2**64)."""
    forms = ["dec", "hex", "HEX"] + (["zeros"] if zeros else [])
    suffixes = [(s, 10 * (i + 1)) for i, s in enumerate("KMGT") if v and v % (1 << (10 * (i + 1))) == 0]
    if suffixes:
        forms += ["suffix", "suffix"]
    form = rng.choice(forms)
    if form == "dec":
        return str(v)
    if form == "hex":
        return "0x%x" % v
    if form == "HEX":
        return "0x%X" % v
    if form == "zeros":
        z = "0" * rng.randint(1, 6)
        return rng.choice([z + str(v), "0x" + z + "%x" % v])
    s, shift = rng.choice(suffixes)
    return rng.choice(["%d", "0x%x"]) % (v >> shift) + s


def parse_number(s):
    mult = 1
    if s and s[-1] in "KMGT":
        mult = 1 << (10 * ("KMGT".index(s[-1]) + 1))
        s = s[:-1]
    return (int(s, 16) if s.startswith("0x") else int(s, 10)) * mult


# The defaults an operation takes when the key is absent: adding the key
# with this value must change nothing (REPLAY.md, docs/semantics.md).
def defaults(op, keys):
    d = {}
    if op == "pin":
        d["prot"] = "rw"
        d["npages"] = 1
    elif op == "unpin":
        d["npages"] = 1
    elif op == "group":
        d["devices"] = 1
    elif op == "container":
        d.update(pgsize=4096, dma_limit=65535, v2=1, mode="type1", iopgsize=0, maxranges=0)
    elif op == "map":
        d["prot"] = "rw"
        d["iopgsize"] = 0  # the container's, as no iopgsize at all
    elif op == "hwget":
        d.update(offset=0, reserved=0)
        if "flags" not in keys and "noclear" not in keys:
            d["noclear"] = 0  # one of the two at most: both is a syntax error
    elif op == "logreport":
        d["offset"] = 0
    elif op in ("start", "stop"):
        if "flags" not in keys:
            d["flags"] = 1 if op == "start" else 2
        if "argsz" not in keys:
            d["argsz"] = 8
    elif op == "get":
        if "flags" not in keys:
            d["flags"] = 4
        if "argsz" not in keys:
            d["argsz"] = 48
    elif op == "unmap":
        bitmap = keys.get("bitmap") is not None and parse_number(keys["bitmap"]) == 1
        if "flags" not in keys:
            d["flags"] = 1 if bitmap else 0
        if "argsz" not in keys and "flags" not in keys:
            d["argsz"] = 48 if bitmap else 24
    return d


def respell_line(line, rng):
    words = line.split()
    op, rest = words[0], words[1:]
    pos = [w for w in rest if "=" not in w]
    keys = dict(w.split("=", 1) for w in rest if "=" in w)
    # bitmap=1 on unmap is flags=1 (docs/semantics.md): swap now and then.
    if op == "unmap" and keys.get("bitmap") == "1" and "flags" not in keys and rng.random() < 0.3:
        del keys["bitmap"]
        keys["flags"] = "1"
    for k, v in defaults(op, keys).items():
        if k not in keys and rng.random() < 0.3:
            keys[k] = str(v)
    out_pos = [p if not p[0].isdigit() else spell(parse_number(p), rng) for p in pos]
    def value(k, v):
        if k in WORD_KEYS:
            return v
        if k in LIST_KEYS:
            # short spellings only: a list of 257 ranges must stay under the line limit
            return ",".join(":".join(spell(parse_number(x), rng, zeros=False) for x in item.split(":"))
                            for item in v.split(",")) if v else v
        return spell(parse_number(v), rng)

    items = [(k, value(k, v)) for k, v in keys.items()]
    rng.shuffle(items)
    toks = [op] + out_pos + ["%s=%s" % kv for kv in items]
    lead = rng.choice(SPACES) if rng.random() < 0.2 else ""
    seps = [rng.choice(SPACES) if rng.random() < 0.3 else " " for _ in toks[1:]]
    tail = rng.choice(SPACES) if rng.random() < 0.1 else ""
    if rng.random() < 0.1:
        tail += rng.choice([" # a comment", "#no space", "\t# x=1 y", "# map iova=0 size=1"])

    def join():
        return lead + toks[0] + "".join(s + t for s, t in zip(seps, toks[1:])) + tail

    text = join()
    # Now and then a line near the limit: zeros in a hex number, or a comment.
    if rng.random() < 0.03:
        target = rng.randint(3900, LINE_MAX)
        hexes = [i for i, t in enumerate(toks) if "=0x" in t]
        if hexes and rng.random() < 0.5:
            i = rng.choice(hexes)
            k, v = toks[i].split("=", 1)
            toks[i] = "%s=0x%s%s" % (k, "0" * max(0, target - len(text)), v[2:])
        elif len(text) + 2 <= target:
            tail += " #" + "z" * (target - len(text) - 2)
        text = join()
    if rng.random() < 0.05 and len(text) < LINE_MAX:
        text += "\r"
    assert len(text.encode()) <= LINE_MAX, (line, len(text))
    return text


def respell(lines, rng):
    out = []
    for line in lines:
        stripped = line.strip()
        if rng.random() < 0.05:
            out.append(rng.choice(["", "   ", "# an inserted comment", "\t#", "\r"]))
        if not stripped or stripped.startswith("#"):
            out.append(line)
            continue
        out.append(respell_line(stripped, rng))
    return out


def main():
    for path in sys.argv[1:]:
        rng = random.Random(path.rsplit("/", 1)[-1])
        with open(path) as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        with open(path.rsplit(".", 1)[0] + ".respelled", "w", newline="") as f:
            f.write("\n".join(respell(lines, rng)) + "\n")


if __name__ == "__main__":
    main()
