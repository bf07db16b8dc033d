#!/usr/bin/env bash
# Nightly PostgreSQL backup (custom format, restorable with pg_restore), kept for 14 days.
# Cron: 15 3 * * * /srv/meetup/deploy/backup.sh
set -euo pipefail
set -a; . /etc/meetup/meetup.env; set +a
dir=/var/backups/meetup; mkdir -p "$dir"
pg_dump --format=custom --file="$dir/meetup-$(date +%Y%m%d-%H%M).dump" "$MEETUP_DATABASE_URL"
find "$dir" -name 'meetup-*.dump' -mtime +14 -delete
# Restore: pg_restore --clean --if-exists --dbname "$MEETUP_DATABASE_URL" /var/backups/meetup/meetup-….dump
