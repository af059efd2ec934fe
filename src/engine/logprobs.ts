/**
 * Per-sequence log-probabilities as graph nodes, and the host-side feeds they need.
 *
 * A batch row is `ids[b, 0..T-1]` with a label mask `mask[b, t]` (1 = token t counts; see
 * src/data/sequence.ts). Token t is predicted by the logits at position t-1, so the graph scores
 * logits at every position p against target ids[b, p+1] (or -1, which token_logprobs turns into 0,
 * where mask[b, p+1] is 0 and at the last position), then sums with shifted weights:
 *   sum[b]  = sum_p logp[b, p] * mask[b, p+1]                     (DPO/JPO's summed log-prob)
 *   mean[b] = sum[b] / count[b]                                   (IPO/SimPO/ORPO's per-token mean)
 *   nll     = -sum_{chosen rows} sum[b] / sum_{chosen rows} count[b]  (TRL's token-mean cross-entropy)
 * The weights are inputs, so one graph serves any mask mode. Where the [B*T, V] logits would be
 * large (shouldChunkLmHead), the log-probs come from the chunked LM head (ops/lm-head), which never
 * stores them; generation builds its logits elsewhere and keeps them.
 */
import type { Feeds } from './feeds.ts';
import type { Graph, Node } from './graph.ts';
import type { BuildOptions, LoadedModel } from './models/index.ts';
import { shouldChunkLmHead } from './ops/lm-head/index.ts';

/** Input names of a sequence-log-prob graph (prefix them to score two models in one graph). */
export const SEQ_INPUTS = {
  ids: 'ids',
  keyMask: 'keyMask',
  targets: 'targets',
  labelMask: 'labelMask',
  meanWeights: 'labelMeanWeights',
  nllWeights: 'nllWeights',
} as const;

export type Reduction = 'sum' | 'mean' | 'nll';

/** Which tokens count (the label masks themselves come from src/data/sequence.ts). */
export type MaskMode = 'joint' | 'conditional';

export interface SequenceLogpsOptions {
  /** Rows in the batch and padded length. */
  B: number;
  T: number;
  /** Which reductions to build (default ['sum']). 'nll' is a scalar [1]. */
  reductions?: readonly Reduction[];
  build?: BuildOptions;
}

export interface SequenceLogpsNodes {
  /** [B, T]: logp of target ids[b, p+1] at position p (0 where it does not count). */
  tokenLogps: Node;
  sum?: Node;
  mean?: Node;
  nll?: Node;
}

/** Per-sequence summed log-probs [B] of a [B, T] batch (inputs: SEQ_INPUTS ids, keyMask, targets, labelMask). */
export function buildSequenceLogps(g: Graph, model: LoadedModel, o: Omit<SequenceLogpsOptions, 'reductions'>): Node {
  return buildSequenceStats(g, model, { ...o, reductions: ['sum'] }).sum as Node;
}

/** The log-prob graph for a [B, T] batch with the requested reductions; declares the inputs it uses (SEQ_INPUTS). */
export function buildSequenceStats(g: Graph, model: LoadedModel, o: SequenceLogpsOptions): SequenceLogpsNodes {
  const { B, T } = o;
  const reductions = o.reductions ?? ['sum'];
  const ids = g.input(SEQ_INPUTS.ids, [B, T], 'i32');
  const keyMask = g.input(SEQ_INPUTS.keyMask, [B, T]);
  const targets = g.input(SEQ_INPUTS.targets, [B * T], 'i32');
  const logits = model.buildLogits(g, ids, keyMask, o.build);
  const V = logits.shape[2];
  // Large logits: score through the chunked head instead (the logits node is then never planned).
  const mode = o.build?.lmHead ?? 'auto';
  const head = shouldChunkLmHead(B * T, V, mode) ? lmHeadOf(logits) : undefined;
  if (mode === 'chunked' && !head) {
    throw new Error(
      `buildSequenceStats: lmHead 'chunked' needs logits built as hidden x weight^T, but ${model.name}'s are a ${logits.op} node; use lmHead 'auto'`,
    );
  }
  const flat = head
    ? g.lmHeadLogprobs(g.reshape(head.hidden, [B * T, head.hidden.shape[2]]), head.weight, targets)
    : g.tokenLogprobs(g.reshape(logits, [B * T, V]), targets);
  const tokenLogps = g.reshape(flat, [B, T]);
  const out: SequenceLogpsNodes = { tokenLogps };
  if (reductions.includes('sum')) out.sum = g.maskedRowSum(tokenLogps, g.input(SEQ_INPUTS.labelMask, [B, T]));
  if (reductions.includes('mean')) out.mean = g.maskedRowSum(tokenLogps, g.input(SEQ_INPUTS.meanWeights, [B, T]));
  if (reductions.includes('nll')) {
    out.nll = g.scale(g.sumAll(g.maskedRowSum(tokenLogps, g.input(SEQ_INPUTS.nllWeights, [B, T]))), -1);
  }
  return out;
}

/**
 * The head of `logits` when it is hidden [B, T, d] x weight [V, d]^T, as both model families build
 * it (GPT-2's tied wte, Llama/Qwen2's lm_head or tied embed_tokens); otherwise undefined.
 */
function lmHeadOf(logits: Node): { hidden: Node; weight: Node } | undefined {
  if (logits.op !== 'matmul') return undefined;
  const { transA, transB } = (logits as Node<'matmul'>).attrs;
  const [hidden, weight] = logits.inputs;
  const ok = !transA && transB && weight.op === 'param' && weight.shape.length === 2 && hidden.shape.length === 3;
  return ok ? { hidden, weight } : undefined;
}

export type { Feeds } from './feeds.ts';

export interface HostBatch {
  /** [B, T] right-padded ids. */
  ids: Int32Array;
  /** [B, T] label mask: 1 where token t counts. */
  mask: Float32Array;
  /** Real (unpadded) length of each row. */
  lengths: readonly number[];
  B: number;
  T: number;
}

/**
 * Feeds for buildSequenceLogps. `nllRows` are the rows whose tokens the NLL averages over (TRL:
 * the chosen rows); default all rows.
 */
export function sequenceFeeds(batch: HostBatch, nllRows?: readonly number[]): Feeds {
  const { B, T, ids, mask, lengths } = batch;
  if (ids.length !== B * T || mask.length !== B * T || lengths.length !== B) {
    throw new Error(`sequenceFeeds: ids/mask must be [${B}, ${T}] and lengths [${B}]`);
  }
  const keyMask = new Float32Array(B * T);
  const targets = new Int32Array(B * T).fill(-1);
  const labelMask = new Float32Array(B * T);
  const meanWeights = new Float32Array(B * T);
  const nllWeights = new Float32Array(B * T);
  const rowsForNll = new Set(nllRows ?? Array.from({ length: B }, (_, b) => b));
  let nllCount = 0;
  for (let b = 0; b < B; b++) {
    if (lengths[b] > T) throw new Error(`sequenceFeeds: row ${b} has length ${lengths[b]} > T = ${T}`);
    let count = 0;
    for (let t = 0; t < T; t++) {
      if (t < lengths[b]) keyMask[b * T + t] = 1;
      if (t + 1 < T && mask[b * T + t + 1] !== 0) {
        targets[b * T + t] = ids[b * T + t + 1];
        labelMask[b * T + t] = 1;
        count++;
      }
    }
    if (rowsForNll.has(b)) nllCount += count;
    for (let t = 0; t < T; t++) meanWeights[b * T + t] = count > 0 ? labelMask[b * T + t] / count : 0;
  }
  for (const b of rowsForNll) {
    for (let t = 0; t < T; t++) nllWeights[b * T + t] = nllCount > 0 ? labelMask[b * T + t] / nllCount : 0;
  }
  return {
    [SEQ_INPUTS.ids]: ids,
    [SEQ_INPUTS.keyMask]: keyMask,
    [SEQ_INPUTS.targets]: targets,
    [SEQ_INPUTS.labelMask]: labelMask,
    [SEQ_INPUTS.meanWeights]: meanWeights,
    [SEQ_INPUTS.nllWeights]: nllWeights,
  };
}

/** Right-pads rows (ids + label mask, as src/data/sequence.ts encodes them) to one [B, T] batch. */
export function padRows(
  rows: readonly { ids: readonly number[]; mask: readonly number[] }[],
  padId: number,
  T: number,
): HostBatch {
  const B = rows.length;
  const ids = new Int32Array(B * T).fill(padId);
  const mask = new Float32Array(B * T);
  rows.forEach((r, b) => {
    if (r.ids.length > T) throw new Error(`padRows: row ${b} has ${r.ids.length} tokens, more than T = ${T}`);
    ids.set(r.ids, b * T);
    mask.set(r.mask, b * T);
  });
  return { ids, mask, lengths: rows.map((r) => r.ids.length), B, T };
}

/** Only the feeds a graph declares (a session may reject unknown inputs). */
export function feedsFor(g: Graph, feeds: Feeds): Feeds {
  const out: Feeds = {};
  for (const n of g.inputs()) if (n.attrs.name in feeds) out[n.attrs.name] = feeds[n.attrs.name];
  return out;
}
