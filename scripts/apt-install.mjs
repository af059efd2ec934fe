/**
 * Shared by the ensure-* scripts: installs a missing Debian package with apt-get when running as
 * root, or says what to run; and runs an ensure-* script's check from the command line.
 */
import { spawnSync } from 'node:child_process';

/**
 * Makes `isThere()` true by installing `pkg` with apt-get (as root with apt available). Returns
 * null when it is true, else a one-line instruction. `missing` says what is wrong ("... is missing").
 */
export function aptInstallUnless(isThere, pkg, missing) {
  if (isThere()) return null;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    return `${missing}: install Debian's ${pkg} (sudo apt-get update && sudo apt-get install -y ${pkg}) and run npm test again`;
  }
  console.log(`orchard: ${missing}; installing Debian's ${pkg} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', pkg]]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0) return `apt-get ${args.join(' ')} failed (exit ${r.status}); install ${pkg} by hand and retry`;
  }
  return isThere() ? null : `apt-get installed ${pkg} but still: ${missing}`;
}

/** Runs `ensure` as a command: exit 1 with its instruction, or print `okMessage`. */
export function runEnsure(ensure, okMessage) {
  const problem = ensure();
  if (problem) {
    console.error(`orchard: ${problem}`);
    process.exit(1);
  }
  console.log(`orchard: ${okMessage}`);
}
