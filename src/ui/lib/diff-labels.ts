/**
 * Short, readable labels for how one experiment differs from another ("β 0.1 → 0.5",
 * "objective dpo", "LoRA off"), for the saved-runs table. Built on specDiff's leaf paths.
 *
 * Numbers show both sides (the size of the change matters); choices show the new value; a change
 * made identically to every run is shown once, without the run's name; row-level data edits are
 * counted, not listed. Field names are the spec schema's short names.
 */
import {
  type ExperimentSpec,
  effectiveRunParams,
  fieldAt,
  RUN_PARAM_FIELDS,
  type RunParamField,
  type RunSpec,
  specDiff,
} from '../../lab/spec.ts';

/** A field's name in a label: the schema's `short` ("lr", "LoRA r", "β"), else its key. */
function nameOf(path: string): string {
  return fieldAt(path)?.short ?? path.slice(path.lastIndexOf('.') + 1);
}

/** Fields that never explain a difference in results (the experiment's name, a run's display label). */
const IGNORED = new Set(['name', 'label']);

interface Change {
  /** Run label, or null for fields outside `runs`. */
  run: string | null;
  text: string;
}

/** Labels for what changed from `base` to `spec`, most important first (runs, then the rest in spec order). */
export function diffLabels(base: ExperimentSpec, spec: ExperimentSpec): string[] {
  const changes: Change[] = [];
  const counts = { added: 0, removed: 0, rows: 0 };
  for (const d of specDiff(base, spec)) {
    const runMatch = d.path.match(/^runs\[(\d+)\](?:\.(\w+))?$/);
    if (runMatch) {
      const i = Number(runMatch[1]);
      const field = runMatch[2];
      const label = spec.runs[i]?.label ?? base.runs[i]?.label ?? `run ${i + 1}`;
      if (!field) {
        changes.push({ run: null, text: d.b === undefined ? `− run ${label}` : `+ run ${label}` });
      } else if (isRunParam(field)) {
        // An unset loss parameter is its objective's default: show that number, not "(none)".
        const a = d.a ?? effectiveOf(base.runs[i], field);
        const b = d.b ?? effectiveOf(spec.runs[i], field);
        if (a !== b) changes.push({ run: label, text: describe(nameOf(d.path), a, b) });
      } else if (!IGNORED.has(field)) {
        changes.push({ run: label, text: describe(nameOf(d.path), d.a, d.b) });
      }
      continue;
    }
    if (/^data\.edits\.add\[\d+\]/.test(d.path)) {
      if (d.a === undefined) counts.added++;
      else if (d.b === undefined) counts.added--;
      else counts.rows++;
      continue;
    }
    if (/^data\.rows/.test(d.path)) {
      counts.rows++;
      continue;
    }
    if (d.path === 'data.edits.remove') {
      const before = Array.isArray(d.a) ? d.a.length : 0;
      const after = Array.isArray(d.b) ? d.b.length : 0;
      counts.removed += after - before;
      continue;
    }
    if (IGNORED.has(d.path)) continue;
    changes.push({ run: null, text: describe(nameOf(d.path), d.a, d.b) });
  }
  const out = mergeAcrossRuns(changes, spec.runs.length);
  if (counts.added > 0) out.push(`+${counts.added} labelled pair${counts.added === 1 ? '' : 's'}`);
  if (counts.added < 0) out.push(`${counts.added} labelled pair${counts.added === -1 ? '' : 's'}`);
  if (counts.removed !== 0) out.push(`${counts.removed > 0 ? '−' : '+'}${Math.abs(counts.removed)} removed pairs`);
  if (counts.rows > 0) out.push('data rows edited');
  return out;
}

function isRunParam(field: string): field is RunParamField {
  return (RUN_PARAM_FIELDS as readonly string[]).includes(field);
}

function effectiveOf(run: RunSpec | undefined, field: RunParamField): number | undefined {
  return run ? effectiveRunParams(run)[field] : undefined;
}

/** A change made the same way in every run is listed once, without run names. */
function mergeAcrossRuns(changes: Change[], runCount: number): string[] {
  const byText = new Map<string, Set<string>>();
  for (const c of changes) {
    if (c.run === null) continue;
    const runs = byText.get(c.text) ?? new Set();
    runs.add(c.run);
    byText.set(c.text, runs);
  }
  const out: string[] = [];
  const emitted = new Set<string>();
  for (const c of changes) {
    if (c.run === null) {
      out.push(c.text);
      continue;
    }
    const everyRun = runCount > 1 && (byText.get(c.text)?.size ?? 0) === runCount;
    const text = everyRun || runCount === 1 ? c.text : `${c.run}: ${c.text}`;
    if (emitted.has(text)) continue;
    emitted.add(text);
    out.push(text);
  }
  return out;
}

function describe(name: string, a: unknown, b: unknown): string {
  if (typeof a === 'number' && typeof b === 'number') return `${name} ${formatNumber(a)} → ${formatNumber(b)}`;
  if (typeof b === 'boolean') return `${name} ${b ? 'on' : 'off'}`;
  if (b === null) return `${name} off`;
  if (b === undefined) return `${name} removed`;
  if (a === null && typeof b === 'number') return `${name} ${formatNumber(b)}`;
  if (typeof b === 'string') return `${name} ${b.length > 24 ? `${b.slice(0, 21)}…` : b}`;
  if (typeof b === 'number') return `${name} ${formatNumber(b)}`;
  if (Array.isArray(b) && b.every((x) => typeof x !== 'object')) return `${name} ${b.join(',')}`;
  if (typeof b === 'object' && 'source' in (b as object)) return `${name} ${String((b as { source: unknown }).source)}`;
  return `${name} changed`;
}

/** 0.1, 5e-5, 1000: short and exact enough to tell configs apart. */
export function formatNumber(v: number): string {
  if (v === 0 || !Number.isFinite(v)) return String(v);
  const abs = Math.abs(v);
  if (abs < 1e-3 || abs >= 1e6)
    return v
      .toExponential()
      .replace(/\.?0+e/, 'e')
      .replace('e+', 'e');
  return String(Number(v.toPrecision(4)));
}
