/**
 * Makes sure Debian's Chromium is installed: the browser tests drive it, and its SwiftShader
 * (a CPU Vulkan driver) and Vulkan loader give Node's Dawn a WebGPU adapter on machines without a
 * GPU. Installs it with apt-get when running as root; otherwise says what to run.
 *
 *   node scripts/ensure-chromium.mjs      (also called by scripts/test.mjs)
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { aptInstallUnless, runEnsure } from './apt-install.mjs';

export const CHROMIUM = '/usr/bin/chromium';
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Returns null when Chromium is there (installing it if possible), else a one-line instruction. */
export function ensureChromium() {
  return aptInstallUnless(() => existsSync(CHROMIUM), 'chromium', `${CHROMIUM} is missing`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) runEnsure(ensureChromium, `${CHROMIUM} is installed`);
