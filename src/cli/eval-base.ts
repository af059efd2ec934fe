/**
 * `orchard eval`'s baseline, said out loud, and the base model each evaluated folder records.
 *
 * The baseline of a "reference-model" comparison is the spec's model: an adapter is applied to it
 * and its answers are the other side of every comparison. A folder trained from another model
 * would otherwise be evaluated silently against (and, for an adapter, on top of) the wrong model,
 * and models of the same shapes (orchard-tiny and orchard-tiny-2) load without any error. So the
 * base a folder records is compared with the spec's model:
 * - an adapter trained on another base is refused: applying it to a model it was not trained from
 *   measures nothing; the fix is the spec that trained it;
 * - a full model fine-tuned from another base carries its own weights, so comparing it with the
 *   spec's model is meaningful (if unusual): it runs, with a warning naming both.
 * Where the base is recorded: an adapter's adapter_config.json (base_model_name_or_path, written by
 * `orchard train` and by PEFT), and the spec.json of an `orchard train --out` folder (the folder
 * given, or the one holding the run folder given), which names the model fully (hub revision too).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { ModelSpec } from '../lab/spec.ts';

export interface BaseCandidate {
  label: string;
  dir: string;
  kind: 'adapter' | 'model';
}

/** What a folder says it was trained from, and which file says it. */
export interface RecordedBase {
  name: string;
  where: string;
  /** The full model spec, when an `orchard train` spec.json records it. */
  model?: ModelSpec;
}

export interface BaseCheck {
  /** Refusals (adapters trained on another base): what, where, how to fix. */
  errors: string[];
  warnings: string[];
  /** Each candidate's recorded base by label; null where nothing records it. */
  trainedFrom: Record<string, string | null>;
}

/** The name a model spec goes by in adapters' base_model_name_or_path (as lab/resolve.ts names it). */
export function modelName(m: ModelSpec): string {
  return m.source === 'bundled' ? m.id : m.source === 'local' ? m.path : m.repo;
}

/** The `orchard train --out` folder `dir` is, or holds `dir` as a run folder; null when neither. */
function trainOutFolder(dir: string): string | null {
  const isOut = (d: string) => existsSync(join(d, 'spec.json')) && existsSync(join(d, 'metrics.jsonl'));
  if (isOut(dir)) return dir;
  const parent = dirname(resolve(dir));
  return isOut(parent) ? parent : null;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The base `c` records: its adapter config first, else the spec.json of the training output holding it. */
function recordedBase(c: BaseCandidate, outDir: string | null = trainOutFolder(c.dir)): RecordedBase | null {
  const fromOut = outDir
    ? (readJson(join(outDir, 'spec.json')) as { model?: ModelSpec } | undefined)?.model
    : undefined;
  const out =
    fromOut && typeof fromOut === 'object' && 'source' in fromOut
      ? { name: modelName(fromOut), where: join(outDir as string, 'spec.json'), model: fromOut }
      : null;
  if (c.kind === 'adapter') {
    const file = join(c.dir, 'adapter_config.json');
    const name = (readJson(file) as { base_model_name_or_path?: unknown } | undefined)?.base_model_name_or_path;
    if (typeof name === 'string' && name !== '') {
      // The training output's spec says more (a hub revision) when it names the same model.
      return out && out.name === name ? out : { name, where: `${file} base_model_name_or_path` };
    }
  }
  return out;
}

const looksLikePath = (s: string) => s.startsWith('.') || s.startsWith('/') || s.includes('\\');

/** Whether a recorded base is the spec's model: same model spec, or the same name (paths resolved). */
function sameBase(rec: RecordedBase, spec: ModelSpec): boolean {
  if (rec.model) {
    if (rec.model.source !== spec.source) return false;
    if (rec.model.source === 'local' && spec.source === 'local') return resolve(rec.model.path) === resolve(spec.path);
    // Field by field: a spec.json read back is not validated, so its key order is not to be trusted.
    if (rec.model.source === 'bundled' && spec.source === 'bundled') return rec.model.id === spec.id;
    if (rec.model.source === 'hub' && spec.source === 'hub') {
      return rec.model.repo === spec.repo && rec.model.revision === spec.revision;
    }
    return false;
  }
  const name = modelName(spec);
  if (rec.name === name) return true;
  return (looksLikePath(rec.name) || spec.source === 'local') && resolve(rec.name) === resolve(name);
}

/** Checks every candidate's recorded base against the spec's model (see the file comment). */
export function checkBases(candidates: readonly BaseCandidate[], spec: ModelSpec): BaseCheck {
  const specName = modelName(spec);
  const check: BaseCheck = { errors: [], warnings: [], trainedFrom: {} };
  for (const c of candidates) {
    const rec = recordedBase(c);
    check.trainedFrom[c.label] = rec?.name ?? null;
    if (!rec || sameBase(rec, spec)) continue;
    const fix = rec.model
      ? `evaluate it with the spec that trained it (--spec ${rec.where})`
      : `evaluate it with a spec whose model is "${rec.name}"`;
    if (c.kind === 'adapter') {
      check.errors.push(
        `eval: ${c.dir} is a LoRA adapter trained on "${rec.name}" (${rec.where}), but the spec's model is "${specName}": the adapter would be applied to, and compared with, a model it was not trained from; ${fix}`,
      );
    } else {
      check.warnings.push(
        `eval: warning: ${c.dir} was fine-tuned from "${rec.name}" (${rec.where}), not from the spec's model "${specName}", which is the baseline here: the win-rate compares it with another model's answers; to compare it with its own starting point, ${fix}`,
      );
    }
  }
  return check;
}

/** The one line that says what the answers are compared with. */
export function baselineLine(spec: ModelSpec, compareAgainst: 'reference-model' | 'gold', sft: boolean): string {
  if (compareAgainst === 'gold')
    return 'eval: baseline: the gold answers of the held-out items (eval.compareAgainst "gold")';
  const beforeSft = sft ? " as loaded, without the spec's SFT stage (not re-run here)" : ', untrained';
  return `eval: baseline: answers of the spec's model "${modelName(spec)}"${beforeSft} (eval.compareAgainst "reference-model")`;
}
