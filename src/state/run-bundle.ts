/**
 * A saved run and its export format.
 *
 * Export ("run bundle"): ONE JSON file, `orchard-run-<name>.json`, chosen over a zip so it needs no
 * library and opens in any editor:
 *
 *   { "format": "orchard-run", "version": 1, "createdAt": ISO time, "status", "backend",
 *     "backendNotes": [...], "elapsedMs", "spec": ExperimentSpec,
 *     "metricsCsv": "run,step,loss,rewards/margins,...\n" (the same text as the CSV download),
 *     "evals": [EvalReport], "samples": [SamplesEvent],
 *     "adapters": [{ "run": "JPO", "files": { "adapter_config.json": "<text>",
 *                                             "adapter_model.safetensors": "<base64>" } }] }
 *
 * The adapter files are PEFT's own (load with `PeftModel.from_pretrained` after writing them out).
 * The runs table also offers each part as its own download (spec JSON, metrics CSV, adapter files).
 *
 * Import treats the file as hostile: size cap, strict format/version, the spec through
 * validateSpec, metrics through the CSV parser, adapters through base64 and a size check.
 */
import type { EvalItemOutcome, EvalReport, PairingEvent, SamplesEvent } from '../lab/events.ts';
import { type ExperimentSpec, formatSpecErrors, validateSpec } from '../lab/spec.ts';
import { type MetricRow, metricsFromCsv, metricsToCsv } from './metric-rows.ts';

export type RunStatus = 'done' | 'stopped' | 'failed';
export type BackendUsed = 'webgpu' | 'cpu' | 'webgpu→cpu';

export interface SavedAdapter {
  run: string;
  config: string;
  safetensors: Uint8Array;
}

export interface SavedRun {
  id: string;
  createdAt: number;
  status: RunStatus;
  backend: BackendUsed;
  /** What happened to the backend during the run ("device lost at step 12, resumed on the CPU"). */
  backendNotes: string[];
  elapsedMs: number;
  spec: ExperimentSpec;
  series: Record<string, MetricRow[]>;
  evals: EvalReport[];
  /** Every held-out item per run, as judged; kept in this browser (the exported bundle leaves it out). */
  evalItems?: Record<string, EvalItemOutcome[]>;
  /** Each run's judge-budget counts (pairs kept, ties, inconsistent verdicts); kept in this browser. */
  pairing?: Record<string, PairingEvent>;
  samples: SamplesEvent[];
  adapters: SavedAdapter[];
}

export const BUNDLE_FORMAT = 'orchard-run';
export const BUNDLE_VERSION = 1;
/** Larger than any adapter of a model the browser can train, smaller than what would freeze the tab. */
export const MAX_BUNDLE_BYTES = 256 * 1024 * 1024;

export function runToBundle(run: SavedRun): string {
  return JSON.stringify(
    {
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      createdAt: new Date(run.createdAt).toISOString(),
      status: run.status,
      backend: run.backend,
      backendNotes: run.backendNotes,
      elapsedMs: run.elapsedMs,
      spec: run.spec,
      metricsCsv: metricsToCsv(run.series),
      evals: run.evals,
      samples: run.samples,
      adapters: run.adapters.map((a) => ({
        run: a.run,
        files: { 'adapter_config.json': a.config, 'adapter_model.safetensors': bytesToBase64(a.safetensors) },
      })),
    },
    null,
    1,
  );
}

export type BundleResult = { ok: true; run: SavedRun } | { ok: false; error: string };

/** Reads a bundle file's text; `id` names the imported copy. Never throws. */
export function runFromBundle(text: string, id: string): BundleResult {
  try {
    return parseBundle(text, id);
  } catch (err) {
    return { ok: false, error: `this run file could not be read: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function parseBundle(text: string, id: string): BundleResult {
  const fail = (error: string): BundleResult => ({ ok: false, error });
  if (text.length > MAX_BUNDLE_BYTES) return fail(`the file is larger than ${MAX_BUNDLE_BYTES >> 20} MiB`);
  let b: unknown;
  try {
    b = JSON.parse(text);
  } catch {
    return fail('the file is not JSON; pick an orchard-run-*.json file exported from the runs table');
  }
  if (!isRecord(b) || b.format !== BUNDLE_FORMAT) {
    return fail('the file is not an Orchard run (its "format" is not "orchard-run")');
  }
  if (b.version !== BUNDLE_VERSION) {
    return fail(`run file version ${String(b.version)} is not supported; this page reads version ${BUNDLE_VERSION}`);
  }
  const spec = validateSpec(b.spec);
  if (!spec.ok) return fail(`the run's experiment is not valid:\n${formatSpecErrors(spec.errors)}`);
  if (typeof b.metricsCsv !== 'string') return fail('"metricsCsv" is missing');
  const series = metricsFromCsv(b.metricsCsv);
  const createdAt = typeof b.createdAt === 'string' ? Date.parse(b.createdAt) : Number.NaN;
  const status = (['done', 'stopped', 'failed'] as const).find((s) => s === b.status);
  if (!status) return fail(`"status" must be done, stopped or failed (got ${JSON.stringify(b.status)})`);
  const backend = (['webgpu', 'cpu', 'webgpu→cpu'] as const).find((s) => s === b.backend);
  if (!backend) return fail(`"backend" must be webgpu, cpu or webgpu→cpu (got ${JSON.stringify(b.backend)})`);
  if (!Array.isArray(b.evals) || !b.evals.every(isEvalReport))
    return fail('"evals" is not a list of evaluation reports');
  if (!Array.isArray(b.samples) || !b.samples.every(isSamples)) return fail('"samples" is not a list of sample sets');
  if (!Array.isArray(b.adapters)) return fail('"adapters" must be a list');
  const adapters: SavedAdapter[] = [];
  for (const [i, a] of b.adapters.entries()) {
    const files = isRecord(a) && isRecord(a.files) ? a.files : null;
    const config = files?.['adapter_config.json'];
    const weights = files?.['adapter_model.safetensors'];
    if (!isRecord(a) || typeof a.run !== 'string' || typeof config !== 'string' || typeof weights !== 'string') {
      return fail(`adapters[${i}] must be {run, files: {"adapter_config.json", "adapter_model.safetensors"}}`);
    }
    const bytes = base64ToBytes(weights);
    if (!bytes) return fail(`adapters[${i}]: adapter_model.safetensors is not base64`);
    adapters.push({ run: a.run, config, safetensors: bytes });
  }
  return {
    ok: true,
    run: {
      id,
      createdAt: Number.isFinite(createdAt) ? createdAt : Date.now(),
      status,
      backend,
      backendNotes: Array.isArray(b.backendNotes) ? b.backendNotes.filter((n) => typeof n === 'string') : [],
      elapsedMs: typeof b.elapsedMs === 'number' && b.elapsedMs >= 0 ? b.elapsedMs : 0,
      spec: spec.spec,
      series,
      evals: b.evals as EvalReport[],
      samples: b.samples as SamplesEvent[],
      adapters,
    },
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isEvalReport(v: unknown): boolean {
  if (!isRecord(v) || typeof v.run !== 'string' || !isRecord(v.winRate)) return false;
  const w = v.winRate;
  return ['rate', 'low', 'high', 'wins', 'ties', 'losses', 'n'].every((k) => typeof w[k] === 'number');
}

function isSamples(v: unknown): boolean {
  return (
    isRecord(v) &&
    typeof v.run === 'string' &&
    typeof v.step === 'number' &&
    Array.isArray(v.samples) &&
    v.samples.every((s) => isRecord(s) && typeof s.instruction === 'string' && typeof s.response === 'string')
  );
}

export function bytesToBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/** Null for text that is not standard base64. */
export function base64ToBytes(text: string): Uint8Array | null {
  const clean = text.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean) || clean.length % 4 !== 0) return null;
  const binary = atob(clean);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
