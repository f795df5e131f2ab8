#!/bin/sh
# The worker of an external task: a Slurm batch script, a Kubernetes Job
# or a CI step does its work and reports to Hourglass with curl. From the
# answer to the create it needs:
#   HOURGLASS     the service, e.g. http://hourglass.example:8080
#   REPORT_URL    its "report.url", e.g. /api/tasks/17/report
#   REPORT_TOKEN  its "report.token"
# It runs STEP_COMMAND with each step's number, STEPS times.
set -eu
steps=${STEPS:-3}
step_command=${STEP_COMMAND:-python3 train.py --epoch}
log=$(mktemp)

post() {	# post TYPE < BODY: sends a report, prints the answer
	curl -fsS -X POST "$HOURGLASS$REPORT_URL" \
	    -H "Authorization: Bearer $REPORT_TOKEN" \
	    -H "Content-Type: $1" --data-binary @-
}

finish() {	# finish CODE DESCRIPTION: ends the task, and this script
	trap - EXIT
	rm -f "$log"
	printf '{"complete": 1, "code": %d, "description": "%s"}\n' \
	    "$1" "$2" | post application/json >/dev/null
	exit "$1"
}

report() {	# report LINE...: progress and log; stops if asked to
	answer=$(printf '%s\n' "$@" | post text/plain)
	case $answer in
	*'"stop":true'*) finish 0 "stopped on request" ;;
	esac
}

trap 'finish 1 "the job failed"' EXIT
report "starting on $(hostname)"
for i in $(seq 1 "$steps"); do
	$step_command "$i" >"$log" 2>&1
	report "PROGRESS $i/$steps step $i done" "$(tail -n 5 "$log")"
done
finish 0 "all $steps steps done"
