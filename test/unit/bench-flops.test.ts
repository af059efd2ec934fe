/**
 * The benchmark's FLOP formula (bench/flops.ts) against hand counts: a tiny Llama config with and
 * without LoRA, a tiny GPT-2 config, and the issue's own figure for the GPT-2-small LoRA step
 * (52 ms at about 10 TFLOP/s, i.e. about 0.52 TFLOP per step).
 */
import { describe, expect, it } from 'vitest';
import { CASES } from '../../bench/cases.ts';
import { caseStepFlops, stepFlops } from '../../bench/flops.ts';
import { parseConfig } from '../../src/engine/models/config.ts';

// hidden 8, 2 layers, 2 heads of 4, 1 kv head, MLP 12, vocab 10.
const LLAMA = parseConfig({
  model_type: 'llama',
  hidden_size: 8,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  intermediate_size: 12,
  vocab_size: 10,
});

describe('stepFlops', () => {
  // B = 2 rows, T = 3 tokens: N = 6 tokens.
  // Linears per layer (in x out): q 8x8 = 64, k 8x4 = 32, v 32, o 64, gate/up/down 8x12 = 96 each:
  // 480 multiply-adds per token per layer, 960 for both layers -> 2 * 6 * 960 = 11520 FLOPs.
  // LM head: 2 * 6 * 8 * 10 = 960. Attention: 4 * B 2 * H 2 * T^2 9 * hd 4 * layers 2 = 1152.
  const LINEAR = 11520;
  const HEAD = 960;
  const ATTENTION = 1152;

  it('full fine-tuning: forward, then dX of every product and dW of every weight', () => {
    const f = stepFlops(LLAMA, { B: 2, T: 3 });
    expect(f.forward).toBe(LINEAR + HEAD + ATTENTION); // 13632
    expect(f.backward).toBe(13632 + LINEAR + HEAD + ATTENTION); // 27264: dX + dW, attention's two operands
    expect(f.total).toBe(40896);
  });

  it('LoRA r=2 on q_proj, v_proj: adapter products added, no dW for frozen weights', () => {
    // Adapters per layer: q r*(8 + 8) = 32, v r*(8 + 4) = 24: 56, both layers 112 -> 2 * 6 * 112 = 1344.
    const ADAPTERS = 1344;
    const f = stepFlops(LLAMA, { B: 2, T: 3, lora: { r: 2, targetModules: ['q_proj', 'v_proj'] } });
    expect(f.forward).toBe(LINEAR + HEAD + ATTENTION + ADAPTERS); // 14976
    expect(f.backward).toBe(14976 + ADAPTERS + ATTENTION); // 17472
    expect(f.total).toBe(32448);
  });

  it('GPT-2: fused c_attn (D x 3D), c_proj, MLP 4D, tied head', () => {
    const gpt2 = parseConfig({ model_type: 'gpt2', vocab_size: 10, n_positions: 8, n_embd: 4, n_layer: 1, n_head: 2 });
    // Per token: c_attn 4*12 = 48, c_proj 16, c_fc 4*16 = 64, mlp c_proj 64: 192 -> 2 * N 4 * 192 = 1536.
    // Head 2 * 4 * 4 * 10 = 320. Attention 4 * B 1 * H 2 * T^2 16 * hd 2 = 256.
    const f = stepFlops(gpt2, { B: 1, T: 4 });
    expect(f.forward).toBe(1536 + 320 + 256);
    expect(f.total).toBe(3 * (1536 + 320) + 3 * 256);
  });

  it("matches the issue's figure for the GPT-2-small LoRA step (about 0.52 TFLOP)", () => {
    const tflop = caseStepFlops(CASES['gpt2-small-lora']) / 1e12;
    expect(tflop).toBeGreaterThan(0.47);
    expect(tflop).toBeLessThan(0.57);
  });
});
