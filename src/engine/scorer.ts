/**
 * Scores token sequences with fixed weights: per-row summed and per-token-mean log-probs. Used for
 * reference log-probs (computed once before training), the `logps` CLI and evaluation. One
 * forward session is compiled per (B, T) shape and kept.
 */
import type { Backend } from './backend.ts';
import { compileForward, type ForwardSession } from './forward.ts';
import { Graph, type Node } from './graph.ts';
import { buildSequenceStats, feedsFor, type HostBatch, sequenceFeeds } from './logprobs.ts';
import type { LoraConfig } from './lora.ts';
import type { BuildOptions, LoadedModel } from './models/index.ts';
import { ParamStore } from './params.ts';
import type { Precision } from './precision/index.ts';

export interface RowLogps {
  sum: Float32Array;
  mean: Float32Array;
}

export class SequenceScorer {
  private readonly params: ParamStore;
  private readonly sessions = new Map<string, { g: Graph; fwd: ForwardSession }>();

  /**
   * `weights` must hold every param of the model (and the adapters when `lora` is given). Under
   * precision 'f16-weights' the params the graph marks frozen (the base under LoRA) are rounded to
   * f16, exactly as in a policy's store, so scores match the policy's own log-probs. `kernels`: the
   * policy's attention and LM head choice (default 'auto'), so scores are computed as training's were.
   */
  constructor(
    private readonly model: LoadedModel,
    private readonly weights: ReadonlyMap<string, Float32Array>,
    backend: Backend,
    private readonly lora?: LoraConfig,
    precision: Precision = 'f32',
    private readonly kernels: Pick<BuildOptions, 'attention' | 'lmHead'> = {},
  ) {
    this.params = new ParamStore(backend, { precision });
  }

  async score(batch: HostBatch): Promise<RowLogps> {
    const [sum, mean] = await this.run('rows', batch);
    return { sum, mean };
  }

  /**
   * Per-token log-probs of each row: out[b][t] = log p(ids[b, t] | ids[b, <t]) for every t >= 1 with
   * batch.mask[b, t] != 0, and 0 elsewhere (t = 0 has nothing to be predicted from). The values
   * `score` sums; pass a mask of ones to get every token. Rows are cut to their real length.
   */
  async tokenLogps(batch: HostBatch): Promise<Float32Array[]> {
    const [flat] = await this.run('tokens', batch);
    const { T } = batch;
    // The graph scores position p against token p + 1: shift by one so index t is token t's.
    return batch.lengths.map((len, b) => {
      const row = new Float32Array(len);
      for (let t = 1; t < len; t++) row[t] = batch.mask[b * T + t] !== 0 ? flat[b * T + t - 1] : 0;
      return row;
    });
  }

  /** Runs the batch through the session for its (B, T) and output kind, compiled on first use. */
  private async run(kind: 'rows' | 'tokens', batch: HostBatch): Promise<Float32Array[]> {
    const key = `${kind}:${batch.B}x${batch.T}`;
    let s = this.sessions.get(key);
    if (!s) {
      const g = new Graph();
      const seq = buildSequenceStats(g, this.model, {
        B: batch.B,
        T: batch.T,
        reductions: kind === 'rows' ? ['sum', 'mean'] : [],
        build: { lora: this.lora, ...this.kernels },
      });
      this.params.addFromGraph(g, (name) => {
        const w = this.weights.get(name);
        if (!w) throw new Error(`SequenceScorer: no weights for "${name}"`);
        return w;
      });
      const outputs = kind === 'rows' ? [seq.sum as Node, seq.mean as Node] : [seq.tokenLogps];
      s = { g, fwd: compileForward(g, outputs, this.params.backend, this.params) };
      this.sessions.set(key, s);
    }
    return s.fwd.run(feedsFor(s.g, sequenceFeeds(batch)));
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.fwd.dispose();
    this.sessions.clear();
    this.params.dispose();
  }
}
