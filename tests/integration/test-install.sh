#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# test-install: `cmake --install` into a temporary prefix, then build and run
# a consumer of libroled through pkg-config and through find_package(roled):
# what a downstream program does to link the library.
set -euo pipefail
build=$1 src=$2 sanitize=${3:-OFF}
# A libroled built with ASan/UBSan needs its consumer built the same way.
san=
[ "$sanitize" = ON ] && san="-fsanitize=address,undefined"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
prefix=$tmp/prefix
libdir=$(dirname "$(find "$prefix" -name 'libroled.so' | head -n 1)")
test -f "$prefix/include/roled/roled.h"
test -x "$prefix/bin/rolectl"
bash -c "source '$prefix/share/bash-completion/completions/rolectl' && complete -p rolectl" >/dev/null
test -x "$prefix/sbin/roled"

# pkg-config
export PKG_CONFIG_PATH=$libdir/pkgconfig
# The .pc file was configured for another prefix: it is relocatable (${pcfiledir}).
grep -q '^prefix=${pcfiledir}/' "$libdir/pkgconfig/roled.pc"
cc $san -o "$tmp/consumer-pc" "$src/consumer.c" $(pkg-config --cflags --libs roled)
LD_LIBRARY_PATH=$libdir "$tmp/consumer-pc" "$tmp/no-agent.sock"

# CMake package
cmake -S "$src" -B "$tmp/cb" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_C_FLAGS="$san" >/dev/null
cmake --build "$tmp/cb" >/dev/null
LD_LIBRARY_PATH=$libdir "$tmp/cb/consumer" "$tmp/no-agent.sock"

# Only the public API leaves the library.
bad=$(nm -D --defined-only "$libdir/libroled.so" | awk '$2 != "A" {print $3}' | grep -v '^roled_' | grep -v '^_' || true)
if [ -n "$bad" ]; then
        echo "libroled exports non-roled_ symbols: $bad" >&2
        exit 1
fi
echo "test-install: OK"
