// Pure: the backup/restore script the VPS runs on a schedule (busybox sh in the rclone image).
// Every copy goes through rclone, so the target is a Spaces remote in production and a plain
// local directory in tests: the same commands either way.

export interface BackupSource {
  /** Archive name, e.g. "vault". */
  name: string;
  /** Where the data is mounted inside the backup container. */
  path: string;
}

export interface BackupScriptInput {
  sources: readonly BackupSource[];
  /** rclone destination: "spaces:<bucket>/<prefix>", or a local directory. */
  target: string;
  /** Backups older than this many days are deleted after a successful backup. */
  keepDays: number;
  /** Where the outcome of the last backup is kept, for the container's health check. */
  statusFile?: string;
}

export const BACKUP_STATUS_FILE = "/tmp/aios-backup.status";

const NAME = /^[a-z][a-z0-9-]*$/;
const SAFE = /^[A-Za-z0-9_./:@-]+$/;

export function renderBackupScript(input: BackupScriptInput): string {
  if (input.sources.length === 0) throw new Error("sources: at least one data directory is required");
  for (const s of input.sources) {
    if (!NAME.test(s.name)) throw new Error(`sources: "${s.name}" is not a valid archive name`);
    if (!s.path.startsWith("/") || !SAFE.test(s.path)) throw new Error(`sources.${s.name}: "${s.path}" is not a safe absolute path`);
  }
  if (!SAFE.test(input.target)) throw new Error(`target: "${input.target}" has characters a shell would interpret`);
  const statusFile = input.statusFile ?? BACKUP_STATUS_FILE;
  if (!statusFile.startsWith("/") || !SAFE.test(statusFile)) throw new Error(`statusFile: "${statusFile}" is not a safe absolute path`);
  if (!Number.isInteger(input.keepDays) || input.keepDays < 1) throw new Error("keepDays: must be a whole number >= 1");

  const sources = input.sources.map((s) => `${s.name}=${s.path}`).join(" ");
  return `#!/bin/sh
# AIOS fleet backup and restore (rendered by infra/render/backup-script.ts).
#   backup            archive every data directory to ${input.target}/<UTC time>/
#   list              the complete backups, oldest first
#   restore [NAME]    put backup NAME (default: the newest) back; stop the services first
#   health            fails when the last backup failed (the container's health check)
set -eu

TARGET='${input.target}'
SOURCES='${sources}'
KEEP_DAYS=${input.keepDays}
STATUS='${statusFile}'
WORK="$(mktemp -d)"
# A backup's outcome is recorded on the way out, whatever stopped it.
on_exit() {
  code=$?
  rm -rf "$WORK"
  if [ "\${1:-}" = backup ]; then
    if [ "$code" -eq 0 ]; then result=ok; else result="failed (exit $code)"; fi
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$result" >"$STATUS"
  fi
}
trap 'on_exit "\${MODE:-}"' EXIT

say() { printf 'aios-backup: %s\\n' "$*" >&2; }

backup() {
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  for entry in $SOURCES; do
    name="\${entry%%=*}"
    dir="\${entry#*=}"
    [ -d "$dir" ] || { say "$name: $dir is not a directory"; exit 1; }
    tar -C "$dir" -czf "$WORK/$name.tar.gz" .
    rclone copyto "$WORK/$name.tar.gz" "$TARGET/$stamp/$name.tar.gz"
  done
  # The marker goes last: a backup without it was interrupted and is never restored.
  date -u +%Y-%m-%dT%H:%M:%SZ >"$WORK/COMPLETE"
  rclone copyto "$WORK/COMPLETE" "$TARGET/$stamp/COMPLETE"
  rclone delete --min-age "\${KEEP_DAYS}d" "$TARGET"
  rclone rmdirs --leave-root "$TARGET"
  say "backup $stamp done"
}

list() {
  rclone lsf --recursive --files-only --include '*/COMPLETE' "$TARGET" | sed 's|/COMPLETE$||' | sort
}

restore() {
  name="\${1:-$(list | tail -n 1)}"
  [ -n "$name" ] || { say "no complete backup in $TARGET"; exit 1; }
  list | grep -qx -- "$name" || { say "no complete backup named $name in $TARGET"; exit 1; }
  # Fetch and check every archive before touching any data: all or nothing.
  for entry in $SOURCES; do
    part="\${entry%%=*}"
    rclone copyto "$TARGET/$name/$part.tar.gz" "$WORK/$part.tar.gz"
    tar -tzf "$WORK/$part.tar.gz" >/dev/null || { say "$part.tar.gz in $name is damaged"; exit 1; }
  done
  for entry in $SOURCES; do
    part="\${entry%%=*}"
    dir="\${entry#*=}"
    mkdir -p "$dir"
    find "$dir" -mindepth 1 -delete
    tar -C "$dir" -xzf "$WORK/$part.tar.gz"
  done
  say "restored $name"
}

health() {
  [ -f "$STATUS" ] || { echo "no backup has run yet"; return 0; }
  last="$(cat "$STATUS")"
  echo "last backup: $last"
  case "$last" in *" ok") return 0 ;; *) return 1 ;; esac
}

case "\${1:-}" in
  backup) MODE=backup; backup ;;
  health) health ;;
  list) list ;;
  restore) shift; restore "$@" ;;
  *) say "usage: $0 backup | list | restore [NAME] | health"; exit 2 ;;
esac
`;
}

/** Pure: the crontab line that runs the backup, for busybox crond. */
export function renderBackupCrontab(schedule: string, scriptPath: string): string {
  if (schedule.trim().split(/\s+/).length !== 5) throw new Error(`schedule: "${schedule}" is not a five-field cron expression`);
  return `${schedule.trim()} ${scriptPath} backup\n`;
}

export interface RcloneSpacesInput {
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** Pure: rclone's config for the "spaces" remote (DigitalOcean Spaces over S3). Holds secrets. */
export function renderRcloneConfig(input: RcloneSpacesInput): string {
  return [
    "[spaces]",
    "type = s3",
    "provider = DigitalOcean",
    `endpoint = ${input.region}.digitaloceanspaces.com`,
    `access_key_id = ${input.accessKeyId}`,
    `secret_access_key = ${input.secretAccessKey}`,
    "acl = private",
    "",
  ].join("\n");
}
