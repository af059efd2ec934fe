/**
 * Makes sure Debian's PyTorch is importable from /usr/bin/python3: the export tests
 * (test/unit/export-torch-*.test.ts) run the exported train.py with it, on one process and under
 * torchrun. Installs python3-torch with apt-get when running as root; otherwise says what to run.
 *
 *   node scripts/ensure-python-torch.mjs      (also called by scripts/test.mjs)
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { aptInstallUnless, runEnsure } from './apt-install.mjs';

export const PYTHON = '/usr/bin/python3';

const hasTorch = () => spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;

/** Returns null when torch imports (installing it if possible), else a one-line instruction. */
export function ensurePythonTorch() {
  return aptInstallUnless(hasTorch, 'python3-torch', `${PYTHON} cannot import torch`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) runEnsure(ensurePythonTorch, `${PYTHON} imports torch`);
