import { openBenchBrowser } from './browser.ts';

const b = await openBenchBrowser((l) => console.log(l));
console.log(b.userAgent, b.crossOriginIsolated, b.adapter);
for (const e of process.argv.slice(2)) {
  const t0 = performance.now();
  try {
    const r = await b.run('tiny', e as never, { warmup: 1, timed: 1 }, e === 'orchard-cpu', 600_000);
    console.log(e, (performance.now() - t0).toFixed(0), JSON.stringify({ ...r, rowLogps: r.rowLogps.slice(0, 3) }));
  } catch (err) {
    console.log(e, 'ERR', String(err));
  }
}
await b.close();
