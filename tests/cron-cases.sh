#!/bin/sh
# Runs ../shared/data/cron-cases.json (about 1,600 expected `cronq next`
# results) through ../shared/tools/cron-check.py and reports one TAP test
# point per kind of case, so a failure names the kind and the log the case.
set -u
shared="$top_srcdir/../shared"
if [ ! -f "$shared/tools/cron-check.py" ]; then
	echo "1..0 # SKIP ../shared not present (not a developer or CI tree)"
	exit 0
fi
out=$(python3 "$shared/tools/cron-check.py" --cronq "$CRONQ" --jobs 4 \
	--show 50 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
kinds=$(printf '%s\n' "$out" | grep -E '^  [a-z/?-]+ +[0-9]+ passed, +[0-9]+ failed$')
n=$(printf '%s\n' "$kinds" | grep -c passed)
if [ "$n" -eq 0 ]; then
	echo "1..1"
	echo "not ok 1 - cron-check.py ran (exit $rc)"
	exit 0
fi
echo "1..$n"
i=0
printf '%s\n' "$kinds" | while read -r kind p _ f _; do
	i=$((i + 1))
	if [ "$f" -eq 0 ]; then
		echo "ok $i - cron cases [$kind]: $p passed"
	else
		echo "not ok $i - cron cases [$kind]: $f of $((p + f)) failed"
	fi
done
