/**
 * `npm test`: every suite, from a fresh checkout.
 *   1. ensure Debian's Chromium (browser tests; its SwiftShader gives Node's Dawn an adapter)
 *      and python3-torch (the export tests run the exported PyTorch project),
 *   2. build the app (the browser tests run against dist/, as users get it),
 *   3. run Vitest's three projects (unit, gpu, browser),
 *   4. print, last, one line `N passed, N failed` (`, N skipped` when any were).
 * Extra arguments go to Vitest: `npm test -- --project unit`, `npm test -- test/gpu/foo.test.ts`.
 * Exit code: 0 only when nothing failed and Vitest itself did not crash.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './ensure-chromium.mjs';
import { ensurePythonTorch } from './ensure-python-torch.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const reportFile = join(artifacts, 'vitest.json');
const require = createRequire(import.meta.url);
const binOf = (pkg, bin) => join(root, 'node_modules', pkg, require(`${pkg}/package.json`).bin[bin]);

function step(title) {
  console.log(`\n── orchard test: ${title}`);
}

function finish(passed, failed, skipped) {
  console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  process.exit(failed > 0 ? 1 : 0);
}

step('Chromium');
const chromiumProblem = ensureChromium();
if (chromiumProblem) {
  console.error(`orchard: ${chromiumProblem}`);
  finish(0, 1, 0);
}

step('PyTorch (the export tests run the exported train.py)');
const torchProblem = ensurePythonTorch();
if (torchProblem) {
  console.error(`orchard: ${torchProblem}`);
  finish(0, 1, 0);
}

step('build (vite build)');
const build = spawnSync(process.execPath, [binOf('vite', 'vite'), 'build', '--logLevel', 'warn'], {
  cwd: root,
  stdio: 'inherit',
});
if (build.status !== 0) {
  console.error(`orchard: vite build failed (exit ${build.status ?? build.signal}); the browser tests need dist/`);
  finish(0, 1, 0);
}

step('vitest (unit, gpu, browser)');
mkdirSync(artifacts, { recursive: true });
rmSync(reportFile, { force: true });
const env = { ...process.env };
// Vulkan's WSI code wants a runtime dir; containers often lack one. Dawn's Vulkan/SwiftShader
// set-up itself happens in-process (src/engine/backends/webgpu/node-gpu.ts, via test/gpu/setup.ts).
if (!env.XDG_RUNTIME_DIR) {
  env.XDG_RUNTIME_DIR = join(artifacts, 'xdg-runtime');
  mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
}
const vitestArgs = [
  binOf('vitest', 'vitest'),
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${relative(root, reportFile)}`,
  ...process.argv.slice(2),
];
const vitest = spawnSync(process.execPath, vitestArgs, { cwd: root, stdio: 'inherit', env });

if (!existsSync(reportFile)) {
  console.error(
    `orchard: vitest exited (${vitest.status ?? vitest.signal}) without writing ${relative(root, reportFile)}`,
  );
  finish(0, 1, 0);
}
const report = JSON.parse(readFileSync(reportFile, 'utf8'));
const perProject = new Map();
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults) {
  const project = relative(root, file.name).split('/')[1] ?? 'other';
  const counts = perProject.get(project) ?? { passed: 0, failed: 0, skipped: 0 };
  perProject.set(project, counts);
  if (file.status === 'failed' && file.assertionResults.length === 0) {
    // The file itself failed (import error, a throwing beforeAll...) before any test ran.
    counts.failed++;
    continue;
  }
  for (const test of file.assertionResults) {
    if (test.status === 'passed') counts.passed++;
    else if (test.status === 'failed') counts.failed++;
    else counts.skipped++;
  }
}
const lines = [];
for (const [project, c] of [...perProject].sort()) {
  passed += c.passed;
  failed += c.failed;
  skipped += c.skipped;
  lines.push(`${project}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`);
}
console.log(`\n── orchard test: summary\n${lines.join('\n')}`);
if (vitest.status !== 0 && failed === 0) {
  // Vitest failed outside any test (unhandled error, bad config): not a pass.
  console.error(`orchard: vitest exited with ${vitest.status ?? vitest.signal} though no test failed (see above)`);
  failed = 1;
}
finish(passed, failed, skipped);
