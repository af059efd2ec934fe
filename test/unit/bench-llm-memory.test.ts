/**
 * The Llama-family shapes' analytic memory rows (bench/llm-memory.ts) compute for both shapes
 * without weights, and their parts agree with counts made here from the published sizes.
 */
import { describe, expect, it } from 'vitest';
import { CASES } from '../../bench/cases.ts';
import { LLM_CASES, llmMemoryRow } from '../../bench/llm-memory.ts';

/** Parameters of a Llama-family model from its sizes (tied embeddings: no separate LM head). */
function llamaParams(c: { D: number; L: number; H: number; Hkv: number; I: number; V: number; qkvBias: boolean }) {
  const hd = c.D / c.H;
  const kv = c.Hkv * hd;
  const attention = c.D * c.D + 2 * c.D * kv + c.D * c.D + (c.qkvBias ? c.D + 2 * kv : 0);
  const mlp = 3 * c.D * c.I;
  const norms = 2 * c.D;
  return c.V * c.D + c.L * (attention + mlp + norms) + c.D;
}

const SHAPES = {
  'smollm2-135m-lora': { D: 576, L: 30, H: 9, Hkv: 3, I: 1536, V: 49152, qkvBias: false, rows: 8, T: 128 },
  'qwen2.5-0.5b-lora': { D: 896, L: 24, H: 14, Hkv: 2, I: 4864, V: 151936, qkvBias: true, rows: 4, T: 256 },
} as const;

describe('llmMemoryRow', () => {
  it('covers both shapes', () => expect([...LLM_CASES].sort()).toEqual(Object.keys(SHAPES).sort()));

  for (const id of LLM_CASES) {
    it(`${id}: weights, adapters, optimizer and the f16 projection from the published sizes`, () => {
      const s = SHAPES[id as keyof typeof SHAPES];
      const row = llmMemoryRow(CASES[id]);
      expect(row.batch).toBe(`${s.rows} x ${s.T}`);
      expect(row.params).toBe(llamaParams(s));
      // r = 8 on q_proj (D -> D) and v_proj (D -> kv): A [8, in] and B [out, 8] each.
      const kv = (s.Hkv * s.D) / s.H;
      const adapters = s.L * 8 * (s.D + s.D + s.D + kv);
      expect(row.trainableParams).toBe(adapters);
      expect(row.f32.paramBytes).toBe(4 * (row.params + adapters));
      expect(row.f32.gradBytes).toBe(4 * adapters);
      expect(row.f32.optimizerBytes).toBeGreaterThanOrEqual(8 * adapters);
      // Activations: at least each layer's residual input [rows, T, D] kept for the backward pass.
      expect(row.f32.intermediateBytes).toBeGreaterThan(4 * s.L * s.rows * s.T * s.D);
      expect(row.f16WeightsTotalBytes).toBe(row.f32.totalBytes - 2 * row.params);
      expect(row.flopsPerStep).toBeGreaterThan(6 * row.params * s.rows * s.T * (2 / 3));
    });
  }
});
