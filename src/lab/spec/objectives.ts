/**
 * What the spec knows about objectives, all read from the engine's objective table
 * (engine/objectives/index.ts) so that names and default hyper-parameters live in one place:
 * - the objective names and their display labels;
 * - each run field's per-objective default (`effectiveRunParams`, `lossParamsOf`);
 * - which pair sets an objective may train on (the one home of "only jpo and sft may use joint pairs").
 */
import { OBJECTIVES as ENGINE_OBJECTIVES, type ObjectiveName, type ObjectiveParams } from '../../engine/index.ts';
import type { PairSet, RunSpec } from './types.ts';

/** In the engine table's order (jpo, dpo, cdpo, …). */
export const OBJECTIVE_NAMES = Object.keys(ENGINE_OBJECTIVES) as ObjectiveName[];

export const OBJECTIVE_LABELS: Record<ObjectiveName, string> = {
  jpo: 'JPO',
  dpo: 'DPO',
  cdpo: 'cDPO',
  robust: 'Robust DPO',
  hinge: 'Hinge',
  ipo: 'IPO',
  simpo: 'SimPO',
  orpo: 'ORPO',
  sft: 'SFT',
};

/** The run fields whose unset value means "the objective's own default". */
export const RUN_PARAM_FIELDS = ['beta', 'labelSmoothing', 'simpoGamma', 'orpoLambda'] as const;
export type RunParamField = (typeof RUN_PARAM_FIELDS)[number];
export type EffectiveRunParams = Record<RunParamField, number>;

function engineDefaults(objective: string): ObjectiveParams {
  const entry = (ENGINE_OBJECTIVES as Record<string, { defaults: ObjectiveParams }>)[objective];
  if (!entry) throw new Error(`unknown objective "${objective}"; choose one of ${OBJECTIVE_NAMES.join(', ')}`);
  return entry.defaults;
}

/**
 * The value a run field takes under `objective` when the spec leaves it out. ORPO's λ is the β of
 * the engine's orpo entry (TRL's ORPOConfig calls the odds-ratio weight `beta`).
 */
export function objectiveDefault(objective: ObjectiveName, field: RunParamField): number {
  if (field === 'orpoLambda') return engineDefaults('orpo').beta;
  return engineDefaults(objective)[field];
}

/** The numbers a run trains with: each field as given, or its objective's default when left out. */
export function effectiveRunParams(run: Pick<RunSpec, 'objective' | RunParamField>): EffectiveRunParams {
  const out = {} as EffectiveRunParams;
  for (const f of RUN_PARAM_FIELDS) out[f] = run[f] ?? objectiveDefault(run.objective, f);
  return out;
}

/** `effectiveRunParams` as the engine's loss takes them: for ORPO, the engine's β is λ. */
export function lossParamsOf(run: Pick<RunSpec, 'objective' | RunParamField>): ObjectiveParams {
  const p = effectiveRunParams(run);
  const beta = run.objective === 'orpo' ? p.orpoLambda : p.beta;
  return { beta, labelSmoothing: p.labelSmoothing, simpoGamma: p.simpoGamma };
}

/**
 * Objectives that may train on joint pairs (two different instructions): JPO scores log π(x, y),
 * and SFT only imitates each chosen (instruction, response). Every other objective scores
 * log π(y|x) under one shared instruction, so a joint pair means nothing to it.
 */
const JOINT_PAIR_OBJECTIVES: readonly ObjectiveName[] = ['jpo', 'sft'];

export function mayUseJointPairs(objective: ObjectiveName): boolean {
  return JOINT_PAIR_OBJECTIVES.includes(objective);
}

export function allowedPairSets(objective: ObjectiveName): readonly PairSet[] {
  return mayUseJointPairs(objective) ? ['conditional', 'joint', 'both'] : ['conditional'];
}

/** A run's pairs when not given: JPO uses whatever the pairing builds, everything else conditional pairs. */
export function defaultPairs(objective: ObjectiveName, mode: unknown): PairSet {
  if (objective !== 'jpo') return 'conditional';
  return mode === 'conditional' || mode === 'joint' ? mode : 'both';
}
