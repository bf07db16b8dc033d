#!/usr/bin/env bash
# Roll out a new version on one machine: install, migrate once, restart web processes one by one.
# Usage: deploy/deploy.sh <git ref>   (run as the meetup user in /srv/meetup)
set -euo pipefail
ref="${1:?usage: deploy/deploy.sh <git ref>}"
cd /srv/meetup
git fetch --quiet origin && git checkout --quiet "$ref"
.venv/bin/pip install --quiet -e .
set -a; . /etc/meetup/meetup.env; set +a
.venv/bin/python main.py migrate              # idempotent; run from one machine only
for unit in $(systemctl list-units --plain --no-legend 'meetup-web@*' | awk '{print $1}'); do
  sudo systemctl restart "$unit"              # nginx sends traffic to the others meanwhile
  port="${unit#meetup-web@}"; port="${port%.service}"
  for _ in $(seq 1 30); do curl -fsS "http://127.0.0.1:${port}/healthz" >/dev/null && break; sleep 1; done
done
sudo systemctl restart meetup-worker           # a killed worker's claimed mail is picked up again
