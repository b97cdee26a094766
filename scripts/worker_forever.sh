#!/usr/bin/env bash
# Run a command (the Celery worker) and start it again whenever it exits, until this script is told
# to stop (Ctrl-C, SIGTERM). kombu's Redis transport can end a worker with an "unrecoverable error"
# when Redis goes away while the worker holds a countdown (retry) task; docker-compose restarts the
# worker container, and `make run` restarts the worker with this loop. Reminders it held are not lost:
# their rows stay pending/retrying and the periodic sweep dispatches them again (followup/reminders.py).
#   scripts/worker_forever.sh .venv/bin/celery -A infusion_clinic worker -l INFO
set -u
delay="${WORKER_RESTART_DELAY:-2}"
child=""
stop() {
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  exit 0
}
trap stop INT TERM
while true; do
  "$@" &
  child=$!
  wait "$child"
  status=$?
  child=""
  echo "worker_forever: '$1' exited with status $status; starting it again in ${delay} s" >&2
  sleep "$delay" &
  wait $!
done
