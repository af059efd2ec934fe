/**
 * Makes sure Debian's PyTorch is importable from /usr/bin/python3: the export tests
 * (test/unit/export-torch-*.test.ts) run the exported train.py with it, on one process and under
 * torchrun. Installs python3-torch with apt-get when running as root; otherwise says what to run.
 *
 *   node scripts/ensure-python-torch.mjs      (also called by scripts/test.mjs)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PYTHON = '/usr/bin/python3';

const hasTorch = () => spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Returns null when torch imports (installing it if possible), else a one-line instruction. */
export function ensurePythonTorch() {
  if (hasTorch()) return null;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    return `${PYTHON} cannot import torch: install Debian's PyTorch (sudo apt-get update && sudo apt-get install -y python3-torch) and run npm test again`;
  }
  console.log(`orchard: ${PYTHON} cannot import torch; installing Debian's python3-torch with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'python3-torch']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0)
      return `apt-get ${args.join(' ')} failed (exit ${r.status}); install python3-torch by hand and retry`;
  }
  return hasTorch() ? null : `apt-get installed python3-torch but ${PYTHON} still cannot import torch`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = ensurePythonTorch();
  if (problem) {
    console.error(`orchard: ${problem}`);
    process.exit(1);
  }
  console.log(`orchard: ${PYTHON} imports torch`);
}
