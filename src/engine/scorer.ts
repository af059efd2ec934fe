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
import type { LoadedModel } from './models/index.ts';
import { ParamStore } from './params.ts';

export interface RowLogps {
  sum: Float32Array;
  mean: Float32Array;
}

export class SequenceScorer {
  private readonly params: ParamStore;
  private readonly sessions = new Map<string, { g: Graph; fwd: ForwardSession }>();

  /** `weights` must hold every param of the model (and the adapters when `lora` is given). */
  constructor(
    private readonly model: LoadedModel,
    private readonly weights: ReadonlyMap<string, Float32Array>,
    backend: Backend,
    private readonly lora?: LoraConfig,
  ) {
    this.params = new ParamStore(backend);
  }

  async score(batch: HostBatch): Promise<RowLogps> {
    const key = `${batch.B}x${batch.T}`;
    let s = this.sessions.get(key);
    if (!s) {
      const g = new Graph();
      const seq = buildSequenceStats(g, this.model, {
        B: batch.B,
        T: batch.T,
        reductions: ['sum', 'mean'],
        build: { lora: this.lora },
      });
      this.params.addFromGraph(g, (name) => {
        const w = this.weights.get(name);
        if (!w) throw new Error(`SequenceScorer: no weights for "${name}"`);
        return w;
      });
      s = { g, fwd: compileForward(g, [seq.sum as Node, seq.mean as Node], this.params.backend, this.params) };
      this.sessions.set(key, s);
    }
    const [sum, mean] = await s.fwd.run(feedsFor(s.g, sequenceFeeds(batch)));
    return { sum, mean };
  }

  dispose(): void {
    for (const s of this.sessions.values()) s.fwd.dispose();
    this.sessions.clear();
    this.params.dispose();
  }
}
