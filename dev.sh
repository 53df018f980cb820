#!/usr/bin/env bash
# The developer's two commands (README.md):
#   ./dev.sh run    install what is missing, build, start the suite under ./_run/
#   ./dev.sh test   install what is missing, build, run every test (make check)
# and a few more for the team:
#   ./dev.sh build [--sanitizers]   set up and build only
#   ./dev.sh test --sanitizers      the same tests in an ASan/UBSan build (_build-san/)
#   ./dev.sh valgrind               unit tests and daemons under valgrind
#   ./dev.sh bench                  build and run tests/bench/ccbus-bench
#   ./dev.sh distcheck              make distcheck
#   ./dev.sh fuzz [SECONDS]         each fuzz target under libFuzzer (clang,
#                                   _build-fuzz/), SECONDS each (60)
set -euo pipefail

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

# Debian packages the build and the tests need.
DEPS=(gcc make autoconf automake libtool pkg-config
      libevent-dev libmsgpack-dev libjansson-dev check valgrind python3
      groff-base)

log() { printf 'dev.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

install_deps() {
	local missing=() p
	for p in "${DEPS[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' \
			|| missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	command -v apt-get >/dev/null \
		|| die "missing packages (${missing[*]}) and no apt-get: install them by hand"
	local sudo=
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null \
			|| die "missing packages (${missing[*]}): run as root or install them"
		sudo=sudo
	fi
	log "installing ${missing[*]}"
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null
}

# configure_in DIR [configure args...]: out-of-tree build directory DIR,
# configured once.
configure_in() {
	local dir=$1; shift
	if [ ! -x configure ] || [ configure.ac -nt configure ]; then
		./autogen.sh >/dev/null 2>&1 || { ./autogen.sh; die "autogen.sh failed"; }
	fi
	mkdir -p "$dir"
	if [ ! -f "$dir/Makefile" ] || [ configure -nt "$dir/Makefile" ]; then
		(cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out) \
			|| { cat "$dir/configure.out" "$dir/config.log" | tail -40; die "configure failed"; }
	fi
}

# build DIR [configure args...]: out-of-tree build in DIR, configured once.
build() {
	local dir=$1; shift
	install_deps
	configure_in "$dir" "$@"
	make -C "$dir" -j"$(nproc)" >/dev/null || make -C "$dir" 2>&1 | tail -40
	make -C "$dir" -j"$(nproc)" check TESTS= >/dev/null \
		|| die "build failed in $dir"
}

# run_tests DIR: make check; print the failing logs if any.
run_tests() {
	local dir=$1 rc=0
	make -C "$dir" -j"$(nproc)" check || rc=$?
	if [ $rc -ne 0 ]; then
		find "$dir/tests" -name '*.log' ! -name test-suite.log -print0 |
			xargs -0 grep -lE '^(FAIL|ERROR)' 2>/dev/null | while read -r f; do
				printf '\n===== %s =====\n' "$f"; tail -60 "$f"
			done
	fi
	return $rc
}

# fuzz SECONDS: every fuzz target under libFuzzer for SECONDS, each on a
# working copy of its seed corpus (_build-fuzz/corpus/TARGET/, kept between
# runs so that what one run found the next starts from). A crash stops
# that target; its input goes to _build-fuzz/crashes/TARGET/.
fuzz() {
	local secs=$1 dir=_build-fuzz t work crashes rc=0 found dict
	DEPS+=(clang libclang-rt-dev)
	install_deps
	configure_in "$dir" CC=clang --enable-fuzzing
	make -C "$dir" -j"$(nproc)" fuzz >/dev/null \
		|| { make -C "$dir" fuzz 2>&1 | tail -40; die "build failed in $dir"; }
	for t in fuzz_decoder fuzz_header fuzz_codec fuzz_message fuzz_spec; do
		work=$dir/corpus/$t crashes=$dir/crashes/$t
		mkdir -p "$work" "$crashes"
		cp tests/fuzz/corpus/$t/* "$work/"
		dict=()
		[ -f tests/fuzz/$t.dict ] && dict=(-dict=tests/fuzz/$t.dict)
		log "$t: ${secs}s on $work, log in $dir/$t.log"
		if "$dir/tests/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 \
			-artifact_prefix="$crashes/" "${dict[@]}" "$work" >"$dir/$t.log" 2>&1; then
			grep -E '^#[0-9]+[[:space:]]+DONE|^stat::(number_of_executed_units|average_exec_per_sec|new_units_added)' \
				"$dir/$t.log" | sed "s/^/$t: /" >&2 || true
		else
			rc=1
			found=$(grep -Eo "Test unit written to [^ ]+" "$dir/$t.log" | sed 's/.* //' || true)
			grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant broken)' "$dir/$t.log" | head -5 >&2 || true
			log "$t: CRASH, input in ${found:-$crashes/}; replay: $dir/tests/fuzz/$t ${found:-FILE}"
		fi
	done
	return $rc
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
run)
	build _build
	mkdir -p _run/data
	b=$top/_build
	# The uninstalled daemons and specs: where ccbus and libcc look first.
	export CCBUS_DAEMON_PATH="$b/msgq:$b/cfgmgr:$b/modules/hello:$b/modules/stats"
	export CCBUS_SPECDIR="$top/specs"
	log "starting the suite in the foreground: ccbus, msgq on $top/_run/msgq.sock,"
	log "  configuration in $top/_run/data, pid file $top/_run/ccbus.pid"
	log "talk to it from another shell:"
	log "  export CCBUS_SOCKET=$top/_run/msgq.sock PATH=$b/ctl:\$PATH"
	log "  ccbusctl help; ccbusctl status; ccbusctl Boss shutdown"
	log "Ctrl-C stops it in order (a second Ctrl-C kills what is left)"
	exec "$b/boss/ccbus" -s "$top/_run/msgq.sock" -p "$top/_run/data" \
		--pid-file "$top/_run/ccbus.pid" -v "$@"
	;;
test)
	if [ "${1:-}" = --sanitizers ]; then
		build _build-san --enable-sanitizers
		ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} run_tests _build-san
	else
		build _build
		run_tests _build
	fi
	;;
build)
	if [ "${1:-}" = --sanitizers ]; then build _build-san --enable-sanitizers
	else build _build; fi
	;;
valgrind)
	build _build
	CCBUS_TEST_WRAPPER="valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99" \
	LOG_COMPILER="$top/_build/libtool" \
	AM_LOG_FLAGS="--mode=execute valgrind -q --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99" \
	CK_FORK=no CK_DEFAULT_TIMEOUT=600 \
		run_tests _build
	;;
bench)
	build _build
	make -C _build bench
	;;
distcheck)
	build _build
	make -C _build distcheck
	;;
fuzz)
	[[ ${1:-60} =~ ^[0-9]+$ ]] || die "usage: ./dev.sh fuzz [SECONDS]"
	fuzz "${1:-60}"
	;;
*)
	echo "usage: ./dev.sh run|test [--sanitizers]|build|valgrind|bench|distcheck|fuzz [SECONDS]" >&2
	exit 64
	;;
esac
