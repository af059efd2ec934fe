/**
 * Objectives: which masks and log-probs each one uses, its default hyper-parameters, and the whole
 * preference graph (policy log-probs of a [2P, T] batch — chosen rows 0..P-1, rejected rows P..2P-1 —
 * reference inputs, loss and metrics).
 */
import type { Graph, Node } from '../graph.ts';
import { buildSequenceStats, type MaskMode, type Reduction } from '../logprobs.ts';
import type { BuildOptions, LoadedModel } from '../models/index.ts';
import { buildLoss, type ObjectiveName, type ObjectiveNodes, type ObjectiveParams } from './losses.ts';

export type { ObjectiveName, ObjectiveNodes, ObjectiveParams, PairLogps } from './losses.ts';
export { buildLoss, constantLike } from './losses.ts';
export { hostMetrics, rewardAccuracy } from './metrics.ts';

export interface ObjectiveSpec {
  name: ObjectiveName;
  /** Label masks: JPO scores the prompt too; everything else masks it out. */
  mode: MaskMode;
  /** Per-sequence log-probs the loss uses. */
  logps: 'sum' | 'mean';
  usesReference: boolean;
  /** Needs the token-mean NLL of the chosen rows. */
  usesNll: boolean;
  defaults: ObjectiveParams;
}

const base = { beta: 0.1, labelSmoothing: 0, simpoGamma: 0.5 };
const spec = (
  name: ObjectiveName,
  mode: MaskMode,
  logps: 'sum' | 'mean',
  usesReference: boolean,
  usesNll: boolean,
  defaults: Partial<ObjectiveParams> = {},
): ObjectiveSpec => ({ name, mode, logps, usesReference, usesNll, defaults: { ...base, ...defaults } });

export const OBJECTIVES: Readonly<Record<ObjectiveName, ObjectiveSpec>> = {
  jpo: spec('jpo', 'joint', 'sum', true, false),
  dpo: spec('dpo', 'conditional', 'sum', true, false),
  cdpo: spec('cdpo', 'conditional', 'sum', true, false, { labelSmoothing: 0.1 }),
  robust: spec('robust', 'conditional', 'sum', true, false, { labelSmoothing: 0.1 }),
  hinge: spec('hinge', 'conditional', 'sum', true, false),
  ipo: spec('ipo', 'conditional', 'mean', true, false),
  // SimPO's paper uses β around 2 with γ/β around 0.5; TRL's CPOConfig defaults are β 0.1, γ 0.5.
  simpo: spec('simpo', 'conditional', 'mean', false, false, { beta: 2, simpoGamma: 0.5 }),
  orpo: spec('orpo', 'conditional', 'mean', false, true),
  sft: spec('sft', 'conditional', 'sum', false, true),
};

export function objectiveSpec(name: string): ObjectiveSpec {
  const s = (OBJECTIVES as Record<string, ObjectiveSpec>)[name];
  if (!s) throw new Error(`unknown objective "${name}"; choose one of ${Object.keys(OBJECTIVES).join(', ')}`);
  return s;
}

/** Input names of the reference log-probs ([P] each, of the objective's kind). */
export const REF_INPUTS = { chosen: 'ref/chosen', rejected: 'ref/rejected' } as const;

export interface PreferenceGraph extends ObjectiveNodes {
  spec: ObjectiveSpec;
  params: ObjectiveParams;
  /** Policy log-probs the loss used, [P] each. */
  logps: { chosen: Node; rejected: Node };
  /** Summed log-probs of every row [2P] (what `logps` prints). */
  rowSums: Node;
}

/**
 * The full preference graph for `pairs` pairs padded to T. Feeds: sequenceFeeds() of the 2P rows
 * (with nllRows = the chosen rows) plus REF_INPUTS when the objective uses a reference.
 */
export function buildPreferenceGraph(
  g: Graph,
  model: LoadedModel,
  o: { pairs: number; T: number; objective: ObjectiveName; params?: Partial<ObjectiveParams>; build?: BuildOptions },
): PreferenceGraph {
  const s = objectiveSpec(o.objective);
  const params = { ...s.defaults, ...definedOnly(o.params ?? {}) };
  if (!(params.beta > 0)) throw new Error(`objective ${s.name}: beta must be > 0 (got ${params.beta})`);
  const P = o.pairs;
  const reductions: Reduction[] = ['sum'];
  if (s.logps === 'mean') reductions.push('mean');
  if (s.usesNll) reductions.push('nll');
  const seq = buildSequenceStats(g, model, { B: 2 * P, T: o.T, reductions, build: o.build });
  const rowSums = seq.sum as Node;
  const rows = (s.logps === 'mean' ? seq.mean : seq.sum) as Node;
  const policy = { chosen: g.sliceLast(rows, 0, P), rejected: g.sliceLast(rows, P, P) };
  const ref = s.usesReference
    ? { chosen: g.input(REF_INPUTS.chosen, [P]), rejected: g.input(REF_INPUTS.rejected, [P]) }
    : null;
  const nodes = buildLoss(g, s.name, params, policy, ref, seq.nll ?? null);
  return { ...nodes, spec: s, params, logps: policy, rowSums };
}

function definedOnly<T extends object>(x: T): Partial<T> {
  return Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as Partial<T>;
}
