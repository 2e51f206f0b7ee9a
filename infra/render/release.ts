// The script the stack runs once every app container of the device is healthy on a new image
// (a @pulumi/command local Command against the device's daemon): it keeps the last two good app
// images on the device as <repository>:good and <repository>:previous, so a rollback finds the
// previous one there without rebuilding, and `docker image prune` (dangling images only) leaves
// them alone. Running it again for the same image changes nothing. Its stdout is one JSON line,
// {"good": <id>, "previous": <id or "">}.
// Environment: IMAGE (the id the members now run); DOCKER_HOST when the daemon is remote.
import { shq } from "./shell.ts";

export function renderRelease(repository: string): string {
  return `#!/bin/sh
set -eu
REPO=${shq(repository)}
id_of() { docker image inspect --format '{{.Id}}' "$1" 2>/dev/null || true; }
good=$(id_of "$REPO:good")
if [ "$good" != "$IMAGE" ]; then
  if [ -n "$good" ]; then docker tag "$good" "$REPO:previous"; fi
  docker tag "$IMAGE" "$REPO:good"
fi
printf '{"good":"%s","previous":"%s"}\\n' "$(id_of "$REPO:good")" "$(id_of "$REPO:previous")"
`;
}

export interface ReleaseImages {
  good: string;
  previous: string;
}

/** The script's stdout; throws naming what is wrong. */
export function parseRelease(stdout: string): ReleaseImages {
  let parsed: Partial<ReleaseImages> | null;
  try {
    parsed = JSON.parse(stdout.trim()) as Partial<ReleaseImages> | null;
  } catch {
    parsed = null;
  }
  if (typeof parsed?.good !== "string" || typeof parsed.previous !== "string") {
    throw new Error(`release step printed ${JSON.stringify(stdout.trim())}, expected {"good":…,"previous":…}`);
  }
  return { good: parsed.good, previous: parsed.previous };
}
