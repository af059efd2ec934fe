/**
 * One color per run, the same in every chart and table: DPO blue, JPO orange (a pair that stays
 * distinct for the common kinds of color blindness), then further runs from the same palette.
 */
const DPO = '#2f6fdb';
const JPO = '#e0662b';
const OTHERS = ['#2e9d6b', '#9b4dca', '#c23b6e', '#6b7280'];

export function runColors(runs: readonly { label: string; objective: string }[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const r of runs) {
    const preferred = r.objective === 'dpo' ? DPO : r.objective === 'jpo' ? JPO : null;
    if (preferred && !taken.has(preferred)) {
      out.set(r.label, preferred);
      taken.add(preferred);
    }
  }
  let next = 0;
  for (const r of runs) {
    if (out.has(r.label)) continue;
    const pool = [DPO, JPO, ...OTHERS].filter((c) => !taken.has(c));
    const color = pool[0] ?? OTHERS[next++ % OTHERS.length];
    out.set(r.label, color);
    taken.add(color);
  }
  return out;
}
