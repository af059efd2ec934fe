/**
 * Makes sure Debian's Chromium is installed: the browser tests drive it, and its SwiftShader
 * (a CPU Vulkan driver) and Vulkan loader give Node's Dawn a WebGPU adapter on machines without a
 * GPU. Installs it with apt-get when running as root; otherwise says what to run.
 *
 *   node scripts/ensure-chromium.mjs      (also called by scripts/test.mjs)
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Returns null when Chromium is there (installing it if possible), else a one-line instruction. */
export function ensureChromium() {
  if (existsSync(CHROMIUM)) return null;
  const isRoot = process.getuid?.() === 0;
  const hasApt = spawnSync('apt-get', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!isRoot || !hasApt) {
    return `${CHROMIUM} is missing: install Debian's chromium (sudo apt-get update && sudo apt-get install -y chromium) and run npm test again`;
  }
  console.log(`orchard: ${CHROMIUM} is missing; installing Debian's chromium with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update'], ['install', '-y', '--no-install-recommends', 'chromium']]) {
    const r = spawnSync('apt-get', args, { stdio: 'inherit', env });
    if (r.status !== 0)
      return `apt-get ${args.join(' ')} failed (exit ${r.status}); install chromium by hand and retry`;
  }
  return existsSync(CHROMIUM) ? null : `apt-get installed chromium but ${CHROMIUM} is still missing`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const problem = ensureChromium();
  if (problem) {
    console.error(`orchard: ${problem}`);
    process.exit(1);
  }
  console.log(`orchard: ${CHROMIUM} is installed`);
}
