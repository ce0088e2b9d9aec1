#!/bin/bash
# SPDX-License-Identifier: MIT
# kernel-vm.sh - run a command in Debian's stock kernel under QEMU, with an
# emulated IOMMU and QEMU's `edu` devices bound to vfio-pci, and bring back
# its output and exit status. The facts behind each step are in
# ../shared/KERNEL-VM.md; docs/kernel.md says how the tests use it.
#
#   scripts/kernel-vm.sh [options] [--] COMMAND [ARG...]
#
# The command runs in the guest under busybox sh, in /work (the --files
# folder), with these variables set:
#   DT_VFIO_GROUPS  the edu devices' group files, comma-separated (/dev/vfio/N,...)
#   DT_KERNEL       uname -r
#   DT_COMPAT       the model's compat name for that kernel (linux-6.1, linux-6.12)
#
# Exit status: the command's own (0-125); 77 when QEMU, a tool or the kernel
# package cannot be had (the reason goes to stderr); 99 when the guest did
# not report a status (no boot, panic, timeout: the console's tail follows).
set -euo pipefail

package=linux-image-amd64
cache=${DT_KERNEL_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dirtyscope/kernel}
mem=2G
timeout=300
edus=4
bins=()
files=
verbose=0
fetch_only=0

usage() {
	cat <<EOF
usage: scripts/kernel-vm.sh [options] [--] COMMAND [ARG...]
  --package PKG   kernel package or metapackage (default: $package);
                  e.g. linux-image-6.12-amd64 or linux-image-6.1.0-57-amd64
  --cache DIR     where kernels are kept between runs (default: $cache;
                  also DT_KERNEL_CACHE)
  --bin FILE      a static executable to put in the guest's /bin (repeatable)
  --files DIR     a folder copied to the guest's /work
  --mem SIZE      guest memory (default: $mem)
  --edu N         how many edu devices, each in its own IOMMU group (default: $edus)
  --timeout SEC   kill the guest after SEC seconds (default: $timeout)
  --fetch-only    fetch and unpack the kernel, print its version, exit
  -v, --verbose   copy the guest console to stderr
EOF
}

skip() {
	echo "kernel-vm: skipped: $*" >&2
	exit 77
}

die() {
	echo "kernel-vm: $*" >&2
	exit 99
}

while [ $# -gt 0 ]; do
	case $1 in
	--package) package=$2; shift 2 ;;
	--cache) cache=$2; shift 2 ;;
	--bin) bins+=("$2"); shift 2 ;;
	--files) files=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--edu) edus=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--fetch-only) fetch_only=1; shift ;;
	-v | --verbose) verbose=1; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "kernel-vm: unknown option '$1' (try --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
if [ $fetch_only -eq 0 ] && [ $# -eq 0 ]; then
	echo "kernel-vm: no command to run (try --help)" >&2
	exit 2
fi

for tool in qemu-system-x86_64 dpkg-deb cpio modinfo xz zstd flock; do
	command -v $tool >/dev/null 2>&1 || skip "$tool is not installed (scripts/install-deps.sh installs it)"
done
busybox=$(command -v busybox || true)
[ -n "$busybox" ] && [ -x /bin/busybox ] && busybox=/bin/busybox
if [ -z "$busybox" ] || ! file -L "$busybox" 2>/dev/null | grep -q 'statically linked'; then
	skip "a static busybox is needed (Debian's busybox-static)"
fi

mkdir -p "$cache"

# The package that really holds the kernel: a metapackage depends on it.
# The ABI number moves with every update, so ask apt each time and fall back
# on the last answer when apt cannot say (no package lists, no network).
resolve() {
	local name=$1 dep i
	for i in 1 2 3; do
		if [[ $name =~ ^linux-image-[0-9]+\.[0-9]+\.[0-9]+[-+] ]]; then
			echo "$name"
			return 0
		fi
		dep=$(apt-cache depends "$name" 2>/dev/null |
			sed -n 's/^ *Depends: \(linux-image-[^ ]*\).*/\1/p' | head -n1)
		[ -n "$dep" ] || return 1
		name=$dep
	done
	return 1
}

if real=$(resolve "$package"); then
	echo "$real" >"$cache/$package.resolved"
elif [ -s "$cache/$package.resolved" ]; then
	real=$(cat "$cache/$package.resolved")
else
	skip "apt cannot resolve $package (run apt-get update?) and nothing is cached"
fi
kdir=$cache/$real

# Fetch and unpack once per kernel; two runs at once wait for each other.
exec 9>"$cache/lock"
flock 9
if [ ! -s "$kdir/ready" ]; then
	tmp=$(mktemp -d "$cache/tmp.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && apt-get download "$real" >/dev/null 2>"$tmp/apt.err") ||
		skip "apt-get download $real failed: $(tail -n1 "$tmp/apt.err")"
	deb=$(ls "$tmp"/*.deb)
	mkdir -p "$tmp/x"
	dpkg-deb --fsys-tarfile "$deb" >"$tmp/pkg.tar"
	tar -C "$tmp/x" -xf "$tmp/pkg.tar" --wildcards './boot/vmlinuz-*' './boot/config-*' \
		'./lib/modules/*/kernel/drivers/vfio/*' './lib/modules/*/kernel/virt/lib/*' 2>/dev/null ||
		tar -C "$tmp/x" -xf "$tmp/pkg.tar" --wildcards './boot/vmlinuz-*' \
			'./lib/modules/*/kernel/drivers/vfio/*'
	rm -f "$tmp/pkg.tar" "$deb"
	vmlinuz=$(ls "$tmp"/x/boot/vmlinuz-*)
	kver=${vmlinuz##*/vmlinuz-}
	mkdir -p "$tmp/k/modules"
	cp "$vmlinuz" "$tmp/k/vmlinuz"

	# The modules, decompressed (6.12 packs them as .ko.xz; busybox insmod reads plain ELF).
	find "$tmp/x/lib/modules" -name '*.ko*' | while read -r m; do
		base=${m##*/}
		case $base in
		*.ko.xz) xz -dc "$m" >"$tmp/k/modules/${base%.xz}" ;;
		*.ko.zst) zstd -qdc "$m" >"$tmp/k/modules/${base%.zst}" ;;
		*.ko) cp "$m" "$tmp/k/modules/$base" ;;
		esac
	done

	# Load order: dependencies first (the package has no modules.dep and
	# busybox insmod resolves nothing). vfio_iommu_type1 is no one's
	# dependency: vfio finds it when SET_IOMMU asks.
	declare -A seen=() byname=()
	order=()
	for f in "$tmp"/k/modules/*.ko; do
		f=${f##*/}
		n=${f%.ko}
		byname[${n//-/_}]=$f
	done
	visit() {
		local mod=${1//-/_} file dep
		[ -n "${seen[$mod]:-}" ] && return 0
		seen[$mod]=1
		file=${byname[$mod]:-}
		[ -n "$file" ] || die "module $mod is not in $real"
		for dep in $(modinfo -F depends "$tmp/k/modules/$file" | tr , ' '); do
			visit "$dep"
		done
		order+=("$file")
	}
	visit vfio_iommu_type1
	visit vfio_pci
	printf '%s\n' "${order[@]}" >"$tmp/k/modules/order"

	# The ELF vmlinux inside the bzImage boots directly (PVH, qboot) in
	# about half the time of the bzImage through SeaBIOS. Find the payload's
	# magic (xz: FD 37 7A 58 5A 00; zstd: 28 B5 2F FD), decompress from
	# there into a file (a pipe would die of SIGPIPE on the trailing
	# bytes), keep the first candidate that is an ELF file.
	for magic in '\xfd7zXZ\x00' '\x28\xb5\x2f\xfd'; do
		for off in $(LC_ALL=C grep -obUaP "$magic" "$vmlinuz" | cut -d: -f1 | head -n 4); do
			tail -c +$((off + 1)) "$vmlinuz" >"$tmp/payload"
			case $magic in
			*7zXZ*) xz -dc "$tmp/payload" >"$tmp/vmlinux" 2>/dev/null || true ;;
			*) zstd -qdc "$tmp/payload" >"$tmp/vmlinux" 2>/dev/null || true ;;
			esac
			if [ "$(head -c 4 "$tmp/vmlinux" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				mv "$tmp/vmlinux" "$tmp/k/vmlinux"
				break 2
			fi
		done
	done
	rm -f "$tmp/payload" "$tmp/vmlinux"
	echo "$kver" >"$tmp/k/ready"
	rm -rf "$kdir"
	mv "$tmp/k" "$kdir"
	rm -rf "$tmp"
	trap - EXIT
fi
flock -u 9
kver=$(cat "$kdir/ready")
case $kver in
[0-9]*.[0-9]*) compat=linux-$(echo "$kver" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/') ;;
*) compat= ;;
esac
if [ $fetch_only -eq 1 ]; then
	echo "$kver"
	exit 0
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kernel-vm.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/dev" "$root/work" "$root/modules"
cp "$busybox" "$root/bin/busybox"
for b in "${bins[@]}"; do
	file -L "$b" | grep -q 'statically linked' || die "$b is not a static executable"
	cp "$b" "$root/bin/"
done
cp "$kdir"/modules/* "$root/modules/"
if [ -n "$files" ]; then
	cp -a "$files"/. "$root/work/"
fi

# The command, each argument quoted for sh.
{
	printf 'cd /work\n'
	for a in "$@"; do
		printf "'%s' " "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done
	printf '\n'
} >"$root/cmd"

cat >"$root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /tmp
mount -t tmpfs tmp /tmp
# The status byte leaves through isa-debug-exit: QEMU exits with 2*status+1.
report() {
	printf "\\\\\$(printf %o \$1)" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	poweroff -f
}
for m in \$(cat /modules/order); do
	insmod /modules/\$m || { echo "kernel-vm: insmod \$m failed"; report 98; }
done
groups=
for d in /sys/bus/pci/devices/*; do
	[ "\$(cat \$d/vendor):\$(cat \$d/device)" = "0x1234:0x11e8" ] || continue
	bdf=\${d##*/}
	echo vfio-pci >\$d/driver_override
	echo \$bdf >/sys/bus/pci/drivers_probe
	g=\$(readlink \$d/iommu_group)
	groups="\$groups\${groups:+,}/dev/vfio/\${g##*/}"
done
export DT_VFIO_GROUPS=\$groups DT_KERNEL=\$(uname -r) DT_COMPAT=$compat
stty -F /dev/ttyS1 raw -echo 2>/dev/null
sh /cmd >/dev/ttyS1 2>&1
st=\$?
[ \$st -gt 125 ] && st=125
report \$st
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) >"$work/initramfs.cpio"

if [ -s "$kdir/vmlinux" ] && [ -r /usr/share/qemu/qboot.rom ]; then
	boot=(-bios /usr/share/qemu/qboot.rom -kernel "$kdir/vmlinux")
else
	boot=(-kernel "$kdir/vmlinuz")
fi
devs=(-device intel-iommu,intremap=on)
for _ in $(seq "$edus"); do
	devs+=(-device edu)
done
# no_timer_check: on a loaded host the emulated clock can miss the IO-APIC
# timer check, and with interrupt remapping on, the kernel then panics
# ("timer doesn't work through Interrupt-remapped IO-APIC").
boot_once() {
	: >"$work/console"
	: >"$work/out"
	timeout -k 5 "$timeout" qemu-system-x86_64 -machine q35 -accel tcg -m "$mem" -smp 1 \
		"${boot[@]}" -initrd "$work/initramfs.cpio" \
		-append "console=ttyS0 intel_iommu=on panic=-1 quiet no_timer_check" \
		"${devs[@]}" -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
		-display none -monitor none -nic none -no-reboot \
		-serial "file:$work/console" -serial "file:$work/out" </dev/null
}
set +e
boot_once
rc=$?
# A guest that died before the command said anything (a panic at boot) is
# booted once more: each run starts from the same initramfs, so nothing is
# run twice that had an effect.
if [ $rc -eq 0 ] && [ ! -s "$work/out" ]; then
	echo "kernel-vm: the guest died before the command ran; booting once more" >&2
	tail -n 3 "$work/console" | tr -d '\r' >&2
	boot_once
	rc=$?
fi
set -e
tr -d '\r' <"$work/out"
[ $verbose -eq 1 ] && tr -d '\r' <"$work/console" >&2
if [ $((rc % 2)) -eq 1 ] && [ $rc -lt 255 ]; then
	exit $(((rc - 1) / 2))
fi
echo "kernel-vm: the guest reported no status (QEMU exit $rc$([ $rc -eq 124 ] && echo ', timeout')); console:" >&2
tail -n 30 "$work/console" | tr -d '\r' >&2
exit 99
