/**
 * `npm run test:repeat -- --project browser --times 3`: runs one Vitest project several times in a
 * row and reports every test that did not pass every time (a flaky test fails the next person).
 *   1. ensure Debian's Chromium and build the app once, when the project needs them (browser) and
 *      dist/ is missing or older than the sources,
 *   2. run `vitest run --project NAME` N times (each with its own JSON report in test-artifacts/),
 *   3. print per test how many of the N runs it passed, list the tests that did not pass every
 *      time with their first failure message, and end with one line `N passed, N failed`:
 *      tests that passed all N runs vs not.
 * Other arguments go to Vitest (e.g. a test file). Exit code: 0 only when every test passed every run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureChromium } from './ensure-chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
const require = createRequire(import.meta.url);
const binOf = (pkg, bin) => join(root, 'node_modules', pkg, require(`${pkg}/package.json`).bin[bin]);
const USAGE = 'usage: npm run test:repeat -- --project NAME [--times N] [vitest arguments...]';

function fail(message) {
  console.error(`orchard test:repeat: ${message}\n${USAGE}`);
  process.exit(2);
}

/** --project NAME and --times N (also --project=NAME, --times=N); the rest goes to Vitest. */
function parseArgs(argv) {
  const out = { project: null, times: 3, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].split(/=(.*)/s, 2);
    if (flag !== '--project' && flag !== '--times') {
      out.rest.push(argv[i]);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) fail(`${flag} needs a value`);
    if (flag === '--project') out.project = value;
    else {
      out.times = Number(value);
      if (!Number.isInteger(out.times) || out.times < 1 || out.times > 100) {
        fail(`--times takes a whole number from 1 to 100, got "${value}"`);
      }
    }
  }
  if (!out.project) fail('name the Vitest project to repeat with --project (unit, gpu or browser)');
  return out;
}

/** Newest modification time of the files under `path` (a file or a folder). */
function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = 0;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** The browser tests run against dist/: build it when it is missing or older than what it is built from. */
function buildIfNeeded() {
  const built = join(root, 'dist', 'index.html');
  const sources = ['src', 'workers', 'public', 'index.html', 'vite.config.ts'].map((p) => join(root, p));
  const stale = !existsSync(built) || Math.max(...sources.map(newestMtime)) > statSync(built).mtimeMs;
  if (!stale) {
    console.log('── test:repeat: dist/ is up to date, not rebuilding');
    return;
  }
  console.log('── test:repeat: build (vite build)');
  const build = spawnSync(process.execPath, [binOf('vite', 'vite'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (build.status !== 0) {
    console.error(`orchard test:repeat: vite build failed (exit ${build.status ?? build.signal})`);
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

/**
 * One Vitest run; returns Map(test id → { status, message }). A file that failed before any test
 * ran (import error, a throwing beforeAll) counts as one failed entry named after the file.
 */
function runOnce(project, rest, n, env) {
  const reportFile = join(artifacts, `repeat-${project}-${n}.json`);
  rmSync(reportFile, { force: true });
  const args = [
    binOf('vitest', 'vitest'),
    'run',
    '--project',
    project,
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${relative(root, reportFile)}`,
    ...rest,
  ];
  const vitest = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env });
  const results = new Map();
  if (!existsSync(reportFile)) {
    results.set(`(vitest run ${n})`, {
      status: 'failed',
      message: `vitest exited (${vitest.status ?? vitest.signal}) without a report`,
    });
    return results;
  }
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  for (const file of report.testResults) {
    const name = relative(root, file.name);
    if (file.assertionResults.length === 0) {
      results.set(`${name} (the file)`, { status: file.status, message: firstLine(file.message) });
      continue;
    }
    for (const test of file.assertionResults) {
      results.set(`${name} > ${test.fullName}`, {
        status: test.status,
        message: firstLine(test.failureMessages?.[0]),
      });
    }
  }
  if (vitest.status !== 0 && ![...results.values()].some((r) => r.status === 'failed')) {
    results.set(`(vitest run ${n})`, {
      status: 'failed',
      message: `vitest exited with ${vitest.status ?? vitest.signal} though no test failed`,
    });
  }
  return results;
}

function firstLine(text) {
  return (text ?? '').trim().split('\n')[0].slice(0, 300);
}

const { project, times, rest } = parseArgs(process.argv.slice(2));
mkdirSync(artifacts, { recursive: true });
const env = { ...process.env };
if (project === 'browser' || project === 'gpu') {
  const problem = ensureChromium();
  if (problem) fail(problem);
  // Vulkan's WSI code wants a runtime dir; containers often lack one (as in scripts/test.mjs).
  if (!env.XDG_RUNTIME_DIR) {
    env.XDG_RUNTIME_DIR = join(artifacts, 'xdg-runtime');
    mkdirSync(env.XDG_RUNTIME_DIR, { recursive: true, mode: 0o700 });
  }
}
if (project === 'browser') buildIfNeeded();

const runs = [];
for (let n = 1; n <= times; n++) {
  console.log(`\n── test:repeat: ${project}, run ${n} of ${times}`);
  const started = Date.now();
  runs.push(runOnce(project, rest, n, env));
  console.log(`── test:repeat: run ${n} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

// A test missing from a run (its file crashed) did not pass that run.
const ids = [...new Set(runs.flatMap((r) => [...r.keys()]))].sort();
const unreliable = [];
console.log(`\n── test:repeat: passes out of ${times} per test (${project})`);
for (const id of ids) {
  const outcomes = runs.map((r) => r.get(id) ?? { status: 'missing', message: 'not run' });
  const passes = outcomes.filter((o) => o.status === 'passed').length;
  console.log(`${passes}/${times}  ${id}`);
  if (passes < times) unreliable.push({ id, passes, outcomes });
}
if (unreliable.length > 0) {
  console.log(`\n── test:repeat: did not pass every time`);
  for (const { id, passes, outcomes } of unreliable) {
    console.log(`${passes}/${times}  ${id}`);
    outcomes.forEach((o, i) => {
      if (o.status !== 'passed') console.log(`    run ${i + 1}: ${o.status}${o.message ? `: ${o.message}` : ''}`);
    });
  }
}
console.log(`${ids.length - unreliable.length} passed, ${unreliable.length} failed`);
process.exit(unreliable.length > 0 ? 1 : 0);
