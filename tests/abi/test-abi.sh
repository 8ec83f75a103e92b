#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-abi: libroled exports exactly the symbols of tests/abi/libroled.symbols
# (the released ABI), each in its version node, and the version script says the
# same.  Removing or renaming a symbol fails here; adding one means adding it to
# both files (and to libroled(3)), in a new version node once a release is out.
set -euo pipefail
lib=$1 symbols=$2 map=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only --with-symbol-versions "$lib" | awk '$2 != "A" {print $3}' | sort >"$tmp/exported"
sort "$symbols" >"$tmp/released"
if ! diff -u "$tmp/released" "$tmp/exported"; then
        echo "test-abi: the exported symbols differ from $symbols (- released, + built)" >&2
        exit 1
fi
# Every released symbol is named in the version script.
sed -n 's/^ *\(roled_[a-z0-9_]*\);$/\1@@LIBROLED_0/p' "$map" | sort >"$tmp/script"
if ! diff -u "$tmp/released" "$tmp/script"; then
        echo "test-abi: $map and $symbols disagree" >&2
        exit 1
fi
# The SONAME carries the major version.
readelf -d "$lib" | grep -q 'SONAME.*libroled\.so\.0'
echo "test-abi: $(wc -l <"$tmp/exported") symbols, as released"
