/**
 * One objective evaluated over a whole set of pairs with fixed weights: the mean loss, TRL's
 * metrics and (optionally) the gradient of that mean loss for every trainable parameter. Used by
 * the `loss` CLI and by tests; training uses compiled train steps instead.
 *
 * Pairs are processed in chunks (one graph per chunk shape); the result is the pair-weighted mean
 * of the chunk results, which equals the mean over all pairs for every per-pair loss and metric.
 * (ORPO/SFT's NLL is a token mean within each chunk, as TRL computes it within each batch.)
 */
import { buildBackward } from '../autodiff.ts';
import type { Backend } from '../backend.ts';
import { compileForward } from '../forward.ts';
import { Graph, type Node } from '../graph.ts';
import { feedsFor, padRows, sequenceFeeds } from '../logprobs.ts';
import type { LoraConfig } from '../lora.ts';
import type { LoadedModel } from '../models/index.ts';
import { numel } from '../ops.ts';
import { ParamStore } from '../params.ts';
import { type EncodedRow, type ReferenceTable, referenceFeeds, roundUpTo16 } from '../reference.ts';
import { buildPreferenceGraph, type ObjectiveName, type ObjectiveParams, objectiveSpec } from './index.ts';
import { hostMetrics } from './metrics.ts';

export interface EvaluateOptions {
  model: LoadedModel;
  /** Every param of the graph (base weights, plus adapters under LoRA). */
  weights: ReadonlyMap<string, Float32Array>;
  lora?: LoraConfig;
  backend: Backend;
  objective: ObjectiveName;
  params?: Partial<ObjectiveParams>;
  pairs: { chosen: readonly EncodedRow[]; rejected: readonly EncodedRow[] };
  /** Reference log-probs by pair; required when the objective uses a reference. */
  reference: ReferenceTable | null;
  padId: number;
  /** Also return gradients (of every trainable param: all of them without LoRA, the adapters with it). */
  grads?: boolean;
  /** Pairs per chunk (default 4). */
  chunkPairs?: number;
  /** Padded length for a longest row (default: roundUpTo16). */
  bucket?: (maxLen: number) => number;
}

export interface EvaluateResult {
  loss: number;
  metrics: Record<string, number>;
  gradNorm?: number;
  grads?: Map<string, Float32Array>;
}

export async function evaluateObjective(o: EvaluateOptions): Promise<EvaluateResult> {
  const spec = objectiveSpec(o.objective);
  const N = o.pairs.chosen.length;
  if (N === 0 || o.pairs.rejected.length !== N) {
    throw new Error(
      `evaluateObjective: need the same non-zero number of chosen and rejected rows (got ${N} and ${o.pairs.rejected.length})`,
    );
  }
  if (spec.usesReference && !o.reference) throw new Error(`objective ${spec.name} needs reference log-probs`);
  const chunk = o.chunkPairs ?? 4;
  const bucket = o.bucket ?? roundUpTo16;
  const store = new ParamStore(o.backend);
  let loss = 0;
  const metrics: Record<string, number> = {};
  const grads = new Map<string, Float32Array>();
  try {
    for (let start = 0; start < N; start += chunk) {
      const idx = Array.from({ length: Math.min(chunk, N - start) }, (_, i) => start + i);
      const P = idx.length;
      const rows = [...idx.map((i) => o.pairs.chosen[i]), ...idx.map((i) => o.pairs.rejected[i])];
      const batch = padRows(rows, o.padId, bucket(Math.max(...rows.map((r) => r.ids.length))));
      const g = new Graph();
      const pg = buildPreferenceGraph(g, o.model, {
        pairs: P,
        T: batch.T,
        objective: spec.name,
        params: o.params,
        build: { lora: o.lora },
      });
      const metricNames = Object.keys(pg.metrics);
      const outputs: Node[] = [pg.loss, ...metricNames.map((k) => pg.metrics[k])];
      if (pg.rewards) outputs.push(pg.rewards.chosen, pg.rewards.rejected);
      const trainable = o.grads ? g.params().filter((p) => p.attrs.trainable) : [];
      const gradNodes = o.grads ? buildBackward(g, pg.loss, trainable) : new Map<Node, Node>();
      const withGrad = trainable.filter((p) => gradNodes.has(p));
      outputs.push(...withGrad.map((p) => gradNodes.get(p) as Node));
      store.addFromGraph(g, (name) => {
        const w = o.weights.get(name);
        if (!w) throw new Error(`evaluateObjective: no weights for "${name}"`);
        return w;
      });
      // The NLL (ORPO/SFT) averages over the chosen rows, 0..P-1.
      const feeds = sequenceFeeds(
        batch,
        Array.from({ length: P }, (_, i) => i),
      );
      if (spec.usesReference && o.reference) Object.assign(feeds, referenceFeeds(o.reference, spec.logps, idx));
      const fwd = compileForward(g, outputs, o.backend, store);
      let out: Float32Array[];
      try {
        out = await fwd.run(feedsFor(g, feeds));
      } finally {
        fwd.dispose();
      }

      const w = P / N;
      loss += w * out[0][0];
      const scalars = Object.fromEntries(metricNames.map((k, i) => [k, out[1 + i]]));
      const rw = pg.rewards
        ? { chosen: out[1 + metricNames.length], rejected: out[2 + metricNames.length] }
        : undefined;
      for (const [k, v] of Object.entries(hostMetrics(scalars, rw))) metrics[k] = (metrics[k] ?? 0) + w * v;
      const gradOut = out.slice(out.length - withGrad.length);
      withGrad.forEach((p, i) => {
        const acc = grads.get(p.attrs.name) ?? new Float32Array(gradOut[i].length);
        for (let j = 0; j < acc.length; j++) acc[j] += w * gradOut[i][j];
        grads.set(p.attrs.name, acc);
      });
      // Trainable params that do not reach the loss have zero gradient.
      for (const p of trainable)
        if (!grads.has(p.attrs.name)) grads.set(p.attrs.name, new Float32Array(numel(p.shape)));
    }
  } finally {
    store.dispose();
  }
  if (!o.grads) return { loss, metrics };
  let sq = 0;
  for (const gr of grads.values()) for (const v of gr) sq += v * v;
  return { loss, metrics, grads, gradNorm: Math.sqrt(sq) };
}
