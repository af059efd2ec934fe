/**
 * The token-by-token margin view's numbers: for one training pair, each token's contribution to
 * the implicit reward r = β·(log π_θ(side) − log π_ref(side)) that DPO-family objectives and JPO
 * compare, i.e. β·(log π_θ(token | before) − log π_ref(token | before)) per token.
 *
 * Both sides are encoded exactly as training encodes them (src/data/sequence.ts encodePair with the
 * run's mask mode, each side knowing the other's response for TRL truncation). A token the mask
 * leaves out contributes exactly 0 and is marked `masked`: under DPO (conditional) that is BOS and
 * the whole prompt; under JPO (joint log π(x, y)) only BOS. So the contributions of a side sum to
 * its implicit reward. Pure: the caller gives the weights; nothing is kept.
 */
import { encodePair } from '../data/sequence.ts';
import type { Tokenizer } from '../data/tokenizer.ts';
import type { PreferenceRow } from '../data/types.ts';
import {
  type Backend,
  type LoadedModel,
  type LoraConfig,
  type MaskMode,
  type Precision,
  padRows,
  SequenceScorer,
} from '../engine/index.ts';
import type { EncodingPlan } from './plan.ts';
import type { KernelChoice } from './spec/kernels.ts';

export interface TokenMargin {
  id: number;
  /** The token's text (decoded alone). */
  text: string;
  part: 'bos' | 'prompt' | 'response';
  /** β·(log π_θ − log π_ref) of this token; exactly 0 when masked. */
  contribution: number;
  /** Left out of the sequence's log-prob by the run's mask (DPO: BOS and prompt). */
  masked: boolean;
  /** log π_θ(token | before) and log π_ref(token | before); 0 for the first token. */
  policyLogp: number;
  referenceLogp: number;
}

export interface SideMargins {
  tokens: TokenMargin[];
  /** The side's implicit reward: the sum of its contributions. */
  reward: number;
}

export interface TokenMargins {
  chosen: SideMargins;
  rejected: SideMargins;
  /** reward(chosen) − reward(rejected), the margin the objective pushes up. */
  margin: number;
}

export interface TokenMarginsInput {
  model: LoadedModel;
  lora: LoraConfig | null;
  backend: Backend;
  tokenizer: Tokenizer;
  encoding: EncodingPlan;
  /** Trainable params of the policy at the step shown (the adapters under LoRA, else every weight). */
  policy: ReadonlyMap<string, Float32Array>;
  /** The same params before training: the reference every run is scored against. */
  reference: ReadonlyMap<string, Float32Array>;
  /** 'f16-weights': frozen weights rounded to f16, as in training (left out: f32). */
  precision?: Precision;
  /** The run's attention and LM head kernels (left out: 'auto'), as in training. */
  kernels?: KernelChoice;
  pair: PreferenceRow;
  mode: MaskMode;
  beta: number;
}

export async function tokenMargins(o: TokenMarginsInput): Promise<TokenMargins> {
  if (!Number.isFinite(o.beta) || o.beta <= 0)
    throw new Error(`tokenMargins: β must be a positive number, got ${o.beta}`);
  const { pair, tokenizer: tok } = o;
  const enc = (i: string, r: string, other: string) =>
    encodePair(tok, i, r, { mode: o.mode, ...o.encoding, pairedResponse: other });
  const sides = [enc(pair.i_chosen, pair.r_chosen, pair.r_reject), enc(pair.i_reject, pair.r_reject, pair.r_chosen)];
  // Score every token (a mask of ones), then apply the run's mask here: masked tokens show their
  // log-probs but contribute nothing, as in training.
  const everyToken = sides.map((s) => ({ ids: s.ids, mask: s.ids.map((_, t) => (t === 0 ? 0 : 1)) }));
  const batch = padRows(everyToken, tok.padId, Math.max(...sides.map((s) => s.ids.length)));
  const score = async (trainable: ReadonlyMap<string, Float32Array>) => {
    const scorer = new SequenceScorer(
      o.model,
      new Map([...o.model.weights, ...trainable]),
      o.backend,
      o.lora ?? undefined,
      o.precision,
      o.kernels,
    );
    try {
      return await scorer.tokenLogps(batch);
    } finally {
      scorer.dispose();
    }
  };
  const policy = await score(o.policy);
  const reference = await score(o.reference);
  const bos = tok.bosId !== null;
  const [chosen, rejected] = sides.map((side, b): SideMargins => {
    let reward = 0;
    const tokens = side.ids.map((id, t): TokenMargin => {
      const masked = side.mask[t] === 0;
      const contribution = masked ? 0 : o.beta * (policy[b][t] - reference[b][t]);
      reward += contribution;
      const part = bos && t === 0 ? 'bos' : t < side.responseStart ? 'prompt' : 'response';
      return {
        id,
        text: tok.decode([id]),
        part,
        contribution,
        masked,
        policyLogp: policy[b][t],
        referenceLogp: reference[b][t],
      };
    });
    return { tokens, reward };
  });
  return { chosen, rejected, margin: chosen.reward - rejected.reward };
}
