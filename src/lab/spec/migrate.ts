/**
 * Spec versions: `migrateSpec` brings a spec of any known version to the current one (not yet
 * validated), one step at a time.
 *
 * Version 1 -> 2:
 * - run fields beta, labelSmoothing, simpoGamma and orpoLambda became optional, unset meaning the
 *   objective's own default. Version 1 gave every run 0.1, 0, 0.5 and 0.1; migration writes those
 *   into a v1 run that leaves them out, and keeps every value a v1 spec gives, so a v1 file or
 *   link trains with the same numbers as before (v1 links always stored every field).
 * - `reference` is dropped: its three modes (precomputed, frozen-copy, adapters-off) all scored
 *   the initial model and gave identical numbers.
 * - Version 2's defaults changed what a run is compared on (issue 12); a v1 spec keeps v1's:
 *   `data.pairing.protocol` "shared" (one labelled pool), `data.pairing.judge` "oracle" for task
 *   data when it names none, 60 `steps` when it gives neither steps nor epochs, and `eval.split`
 *   "held-out" (v1 evaluated the first nTest held-out items, validation and test alike).
 * - `data.truncation` "prompt-first": version 1 always cut the prompt to maxPromptLength; version
 *   2's default "trl" cuts it only when prompt + response do not fit.
 * - The bundled model: version 2's default is orchard-tiny-2; a v1 spec that names no bundled model
 *   gets version 1's, orchard-tiny (the model its numbers came from).
 */
import { fail, isPlainObject, show } from './check.ts';
import { RUN_PARAM_FIELDS, type RunParamField } from './objectives.ts';
import { SPEC_VERSION, type SpecError, V1_DEFAULT_BUNDLED_MODEL } from './types.ts';

export type MigrateResult = { ok: true; spec: Record<string, unknown> } | { ok: false; errors: SpecError[] };

/** What version 1 trained a run with when its spec left a loss parameter out. */
const V1_RUN_PARAMS: Record<RunParamField, number> = { beta: 0.1, labelSmoothing: 0, simpoGamma: 0.5, orpoLambda: 0.1 };

const STEPS: Record<number, (spec: Record<string, unknown>) => Record<string, unknown>> = {
  1: fromV1,
};

/** Brings a spec of any known version to the current version's shape (not yet validated). */
export function migrateSpec(input: unknown): MigrateResult {
  if (!isPlainObject(input)) {
    return fail('', `an experiment spec must be a JSON object (got ${show(input)})`);
  }
  let version = input.version;
  if (version === undefined) {
    return fail('version', `is missing; add "version": ${SPEC_VERSION} (the spec format this file was written for)`);
  }
  if (typeof version === 'number' && Number.isInteger(version) && version > SPEC_VERSION) {
    return fail(
      'version',
      `is ${version}, made by a newer Orchard; this build reads spec versions 1 to ${SPEC_VERSION}: update Orchard to open it`,
    );
  }
  let spec = input;
  while (typeof version === 'number' && STEPS[version]) {
    spec = STEPS[version](spec);
    version = spec.version;
  }
  if (version === SPEC_VERSION) return { ok: true, spec };
  return fail('version', `${show(version)} is not a known spec version; the versions are 1 to ${SPEC_VERSION}`);
}

function fromV1(v1: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v1)) {
    if (key === 'reference') continue;
    const value = key === 'runs' && Array.isArray(v1.runs) ? v1.runs.map(runFromV1) : v1[key];
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  if (isPlainObject(out.data) || out.data === undefined) {
    const data = { ...((out.data as Record<string, unknown> | undefined) ?? {}) };
    if (isPlainObject(data.pairing) || data.pairing === undefined) {
      const pairing: Record<string, unknown> = { ...((data.pairing as Record<string, unknown> | undefined) ?? {}) };
      pairing.protocol = 'shared';
      // Fields version 2 added; "shared" pairing ignores the share and the annotator's settings
      // unless the spec is edited to use them.
      if (pairing.jointShare === undefined) pairing.jointShare = V2_ADDED.jointShare;
      if (pairing.annotator === undefined) pairing.annotator = { ...V2_ADDED.annotator };
      if (pairing.judge === undefined)
        pairing.judge = data.source === undefined || data.source === 'task' ? 'oracle' : 'reward-model';
      data.pairing = pairing;
    }
    if (data.truncation === undefined) data.truncation = 'prompt-first';
    out.data = data;
  }
  if (out.model === undefined) out.model = { source: 'bundled', id: V1_DEFAULT_BUNDLED_MODEL };
  else if (isPlainObject(out.model) && (out.model.source ?? 'bundled') === 'bundled' && out.model.id === undefined) {
    out.model = { ...out.model, id: V1_DEFAULT_BUNDLED_MODEL };
  }
  if (out.steps === undefined && (out.epochs === undefined || out.epochs === null)) out.steps = V1_STEPS;
  if (isPlainObject(out.eval) || out.eval === undefined) {
    const ev = { ...((out.eval as Record<string, unknown> | undefined) ?? {}) };
    if (ev.split === undefined) ev.split = 'held-out';
    out.eval = ev;
  }
  out.version = 2;
  return out;
}

/** Values of the pairing fields version 2 added (their defaults). */
const V2_ADDED = { jointShare: 0.5, annotator: { temperature: 0.05, positionBias: 0.3, tieMargin: 0.02 } };

/** Version 1's step count when a spec gave neither steps nor epochs. */
const V1_STEPS = 60;

function runFromV1(run: unknown): unknown {
  if (!isPlainObject(run)) return run;
  const out = { ...run };
  for (const f of RUN_PARAM_FIELDS) if (out[f] === undefined) out[f] = V1_RUN_PARAMS[f];
  return out;
}
