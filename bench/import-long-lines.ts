/**
 * `npm run bench:import-long-lines [-- SIZES_MB...]`: time to import one JSON Lines row whose
 * response is one long line (default 10, 20 and 40 MB), streamed in 64 KiB chunks as a file read
 * gives them, in the JSONL and JSON containers. Import must be linear in the line's length: the
 * ms/MB column should stay flat as the size doubles.
 */
import { importPreferences } from '../src/data/import.ts';

const CHUNK = 64 * 1024;

function* chunks(bytes: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += CHUNK) yield bytes.subarray(at, at + CHUNK);
}

function longRow(mb: number): string {
  const words = 'the quick brown fox jumps over the lazy dog ';
  const response = words.repeat(Math.ceil((mb * 1024 * 1024) / words.length));
  return JSON.stringify({ i_chosen: 'q', r_chosen: response, i_reject: 'q', r_reject: 'short' });
}

const sizes = process.argv
  .slice(2)
  .map(Number)
  .filter((n) => n > 0);
console.log('container  size MB   seconds   ms/MB   heap MB');
for (const mb of sizes.length > 0 ? sizes : [10, 20, 40]) {
  for (const container of ['jsonl', 'json', undefined] as const) {
    const row = longRow(mb);
    const bytes = new TextEncoder().encode(container === 'json' ? `[${row}]` : `${row}\n`);
    // undefined: JSON Lines, with the container detected from the text (the first line is the whole file).
    const t0 = performance.now();
    const r = await importPreferences(chunks(bytes), { container });
    const s = (performance.now() - t0) / 1000;
    if (r.pairs.length !== 1 || r.problems.length > 0) throw new Error(`import failed: ${JSON.stringify(r.problems)}`);
    const heap = process.memoryUsage().heapUsed / 2 ** 20;
    const size = bytes.length / 2 ** 20;
    console.log(
      `${(container ?? 'detected').padEnd(9)} ${size.toFixed(1).padStart(8)} ${s.toFixed(2).padStart(9)} ${((s * 1000) / size).toFixed(0).padStart(7)} ${heap.toFixed(0).padStart(9)}`,
    );
  }
}
