/**
 * The reference stage: each run's pairs encoded with its objective's mask mode, and the reference
 * log-probs scored once per (mask mode, pair set, strategy), shared by the runs that need the same.
 * Every run starts from the initial model, which is also the reference, scored once before training.
 */
import { bucketLength, encodePair } from '../../data/sequence.ts';
import type { Tokenizer } from '../../data/tokenizer.ts';
import {
  type Backend,
  computeReferenceTable,
  type ReferenceStrategy,
  type ReferenceTable,
} from '../../engine/index.ts';
import type { PipelineListener } from '../events.ts';
import type { EncodingPlan, RunPlan } from '../plan.ts';
import { throwIfAborted } from './generation.ts';
import type { RunPool } from './judge-and-pair.ts';
import type { Policy } from './policy.ts';
import type { RunData } from './train.ts';

export interface ReferenceStageOptions {
  runs: readonly RunPlan[];
  encoding: EncodingPlan;
  policy: Policy;
  tokenizer: Tokenizer;
  backend: Backend;
  /** Each run's pairs, by label (judge-and-pair.ts). */
  pools: ReadonlyMap<string, RunPool>;
  emit: PipelineListener;
  signal?: AbortSignal;
}

function referenceStrategy(run: RunPlan): ReferenceStrategy {
  return run.usesReference ? { kind: 'initial' } : { kind: 'none' };
}

/** Each run's encoded pairs and reference table, by label. */
export async function referenceStage(o: ReferenceStageOptions): Promise<Map<string, RunData>> {
  const { policy, emit } = o;
  const out = new Map<string, RunData>();
  const tables = new Map<string, ReferenceTable | null>();
  const encoded = new Map<string, { chosen: RunData['chosen']; rejected: RunData['rejected'] }>();
  for (const [k, run] of o.runs.entries()) {
    throwIfAborted(o.signal);
    const pool = o.pools.get(run.label) as RunPool;
    const { rows: pairs, poolIndex } = pool;
    const key = `${pool.key}|${run.mode}`;
    let rows = encoded.get(key);
    if (!rows) {
      // Each side knows the other's response: TRL's truncation looks at the pair's longer one.
      const enc = (i: string, r: string, other: string) =>
        encodePair(o.tokenizer, i, r, { mode: run.mode, ...o.encoding, pairedResponse: other });
      rows = {
        chosen: poolIndex.map((p) => enc(pairs[p].i_chosen, pairs[p].r_chosen, pairs[p].r_reject)),
        rejected: poolIndex.map((p) => enc(pairs[p].i_reject, pairs[p].r_reject, pairs[p].r_chosen)),
      };
      encoded.set(key, rows);
    }
    const strategy = referenceStrategy(run);
    const tableKey = `${key}|${strategy.kind}`;
    if (!tables.has(tableKey)) {
      emit({
        kind: 'progress',
        stage: 'reference',
        run: run.label,
        done: k,
        total: o.runs.length,
        message: `reference log-probs of ${poolIndex.length} pairs (${run.mode})`,
      });
      tables.set(
        tableKey,
        await computeReferenceTable(
          strategy,
          { model: policy.model, weights: policy.fullWeights(), lora: policy.lora ?? undefined },
          rows,
          {
            backend: o.backend,
            padId: o.tokenizer.padId,
            batchSize: 16,
            bucket: (len) => bucketLength(len),
            precision: policy.precision,
            kernels: policy.kernels,
          },
        ),
      );
    }
    out.set(run.label, { ...rows, poolIndex, poolSize: pool.poolSize, reference: tables.get(tableKey) ?? null });
  }
  emit({
    kind: 'progress',
    stage: 'reference',
    done: o.runs.length,
    total: o.runs.length,
    message: 'reference log-probs ready',
  });
  return out;
}
