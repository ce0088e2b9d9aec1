# SPDX-License-Identifier: MIT
# kernelize.awk - the rendition of a replay file that both a real kernel (the
# vfio backend) and the model can execute, so that the two outputs can be
# compared line for line. docs/kernel.md gives the reasons; in short:
#   - pin, unpin, rw: dropped. A vendor driver calls them inside the kernel;
#     user space cannot reach them (the vfio backend answers -EOPNOTSUPP).
#   - group ID mediated: becomes an IOMMU group (the guest has no mdev).
#   - a `group 0 iommu` line opens the file and follows every `container`
#     line: the kernel cannot map before a group has set its IOMMU.
#   - container: the keys pgsize (a valid size other than 4096) and
#     dma_limit (other than 65535) go: the IOMMU and the dma_entry_limit
#     module parameter decide them, not the container. Invalid values stay
#     (both sides answer -EINVAL).
#   - unmap with the VADDR flag (and not GET_DIRTY_BITMAP): dropped. The
#     model does not implement vaddr invalidation (docs/semantics.md), the
#     kernel does, and a replay cannot express the MAP_FLAG_VADDR that
#     would complete it.
#   - map outside the kernel's valid IOVA ranges (-v ranges="a-b,c-d", the
#     guest's dt_iova_ranges()): dropped, unless it fails on its size or
#     alignment first. The model maps anywhere.
#   - the model's second and third modes (hwdirty.h): write, hwstart,
#     hwstop, hwget, logstart, logstop and logreport dropped, and the keys
#     mode, iopgsize and maxranges of container and map: the vfio backend
#     is a type1 container with no device write of its own, and what is
#     left of such a file is a type1 sequence both can run.
# Usage: awk -v ranges=0-0xfedfffff,0xfef00000-0x7fffffffff -f kernelize.awk FILE

function num(s,    v, i, c, d, mult) {
	mult = 1
	c = substr(s, length(s), 1)
	if (c == "K") mult = 1024
	else if (c == "M") mult = 1024 ^ 2
	else if (c == "G") mult = 1024 ^ 3
	else if (c == "T") mult = 1024 ^ 4
	if (mult > 1)
		s = substr(s, 1, length(s) - 1)
	v = 0
	if (substr(s, 1, 2) == "0x") {
		for (i = 3; i <= length(s); i++) {
			d = index("0123456789abcdef", substr(s, i, 1)) - 1
			v = v * 16 + d
		}
	} else {
		v = s + 0
	}
	return v * mult
}

# The value of key k on the current line, or "" when absent.
function key(k,    i) {
	for (i = 2; i <= NF; i++)
		if (index($i, k "=") == 1)
			return substr($i, length(k) + 2)
	return ""
}

# Drop key k from the current line.
function dropkey(k,    i, out) {
	out = $1
	for (i = 2; i <= NF; i++)
		if (index($i, k "=") != 1)
			out = out " " $i
	$0 = out
}

function inside(a, last,    i) {
	for (i = 1; i <= nr; i++)
		if (a >= rs[i] && last <= re[i])
			return 1
	return 0
}

# Exact below 2^53 only; above that nothing is inside the ranges anyway.
function unaligned(v) {
	return v < 2 ^ 53 && v % 4096 != 0
}

BEGIN {
	nr = split(ranges, parts, ",")
	for (i = 1; i <= nr; i++) {
		split(parts[i], ab, "-")
		rs[i] = num(ab[1])
		re[i] = num(ab[2])
	}
	print "group 0 iommu"
}

{
	sub(/#.*/, "")
	if (NF == 0)
		next
	$1 = $1 # one space between words, none around them
}

$1 == "pin" || $1 == "unpin" || $1 == "rw" { next }

$1 == "write" || $1 == "hwstart" || $1 == "hwstop" || $1 == "hwget" { next }
$1 == "logstart" || $1 == "logstop" || $1 == "logreport" { next }

$1 == "container" || $1 == "map" {
	dropkey("mode")
	dropkey("iopgsize")
	dropkey("maxranges")
}

$1 == "group" && $3 == "mediated" { $3 = "iommu" }

$1 == "container" {
	p = key("pgsize")
	if (p != "") {
		v = num(p)
		if (v >= 4096 && v != 4096 && 2 ^ int(log(v) / log(2) + 0.5) == v)
			dropkey("pgsize")
	}
	d = key("dma_limit")
	if (d != "" && num(d) <= 4294967295 && num(d) != 65535)
		dropkey("dma_limit")
	print
	print "group 0 iommu"
	next
}

$1 == "unmap" {
	f = key("flags")
	if (f != "") {
		f = num(f)
		if (int(f / 4) % 2 == 1 && f % 2 == 0)
			next
	}
}

$1 == "map" {
	a = num(key("iova"))
	s = num(key("size"))
	if (s > 0 && !unaligned(a) && !unaligned(s) && !inside(a, a + s - 1))
		next
}

{ print }
