#!/usr/bin/env bash
# Nightly PostgreSQL backup (custom format, restorable with pg_restore), kept for 14 days.
# Cron: 15 3 * * * /srv/meetup/deploy/backup.sh
#
# A dump holds every account's e-mail address, so only its owner may read it (umask 077, files
# 0600 in a 0700 directory). The database password reaches pg_dump through a password file that
# only this user can read, never on pg_dump's command line, where `ps` shows it to every user.
#
# Settings (environment): MEETUP_ENV_FILE (default /etc/meetup/meetup.env, read for
# MEETUP_DATABASE_URL only: it is not run as a script), MEETUP_BACKUP_DIR (default
# /var/backups/meetup), MEETUP_BACKUP_KEEP_DAYS (default 14).
# Restore: pg_restore --clean --if-exists --dbname "$MEETUP_DATABASE_URL" /var/backups/meetup/meetup-….dump
set -euo pipefail
umask 077

env_file=${MEETUP_ENV_FILE:-/etc/meetup/meetup.env}
dir=${MEETUP_BACKUP_DIR:-/var/backups/meetup}
keep_days=${MEETUP_BACKUP_KEEP_DAYS:-14}

url=$(sed -n 's/^[[:space:]]*MEETUP_DATABASE_URL[[:space:]]*=[[:space:]]*//p' "$env_file" | tail -n 1)
url=${url%\"}; url=${url#\"}; url=${url%\'}; url=${url#\'}
if [[ ! $url =~ ^postgres(ql)?:// ]]; then
    echo "backup: MEETUP_DATABASE_URL in $env_file is not a postgresql:// URL" >&2
    exit 2
fi

partial=""
passfile=$(mktemp)
trap 'rm -f "$passfile" ${partial:+"$partial"}' EXIT
unset PGPASSWORD
export PGPASSFILE=$passfile

# postgresql://user:password@host…: take the password out of the URL and into the password file.
re='^(postgres(ql)?://)([^:@/?#]*):([^@/?#]*)@(.*)$'
if [[ $url =~ $re ]]; then
    scheme=${BASH_REMATCH[1]} user=${BASH_REMATCH[3]} encoded=${BASH_REMATCH[4]} rest=${BASH_REMATCH[5]}
    encoded=${encoded//\\/\\\\}
    printf -v password '%b' "${encoded//%/\\x}"  # URL percent-decoding
    password=${password//\\/\\\\}
    password=${password//:/\\:}
    printf '*:*:*:*:%s\n' "$password" >"$passfile"
    url="$scheme$user@$rest"
fi

mkdir -p "$dir"
chmod 700 "$dir"
find "$dir" -maxdepth 1 -name 'meetup-*.dump' -exec chmod 600 {} +  # dumps from before this rule
name="meetup-$(date +%Y%m%d-%H%M%S).dump"
partial="$dir/.$name.partial"
pg_dump --format=custom --file="$partial" "$url"
chmod 600 "$partial"
mv "$partial" "$dir/$name"
partial=""
find "$dir" -maxdepth 1 -name 'meetup-*.dump' -mtime +"$keep_days" -delete
