// Each test run gets its own temporary directory (TMPDIR for every suite), removed when the run ends.
import { ownTmpdir } from "./helpers/tmpdir.ts";

export default function setup(): () => void {
  return ownTmpdir("aios-test-");
}
