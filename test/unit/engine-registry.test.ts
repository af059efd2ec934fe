/**
 * The op registry: every op the graph can record has a shape rule, a CPU kernel and a WGSL kernel;
 * the backends run exactly the same ops; and the ops without a backward rule are exactly the ones
 * the catalogue documents as backward-only or inference-only.
 */
import { describe, expect, it } from 'vitest';
import { buildBackward, GradientError } from '../../src/engine/autodiff.ts';
import { Graph } from '../../src/engine/graph.ts';
import { BACKWARD_RULES } from '../../src/engine/ops/backward-rules.ts';
import { CPU_KERNELS } from '../../src/engine/ops/cpu-kernels.ts';
import { ShapeError } from '../../src/engine/ops/shape.ts';
import { SHAPE_RULES } from '../../src/engine/ops/shape-rules.ts';
import { WGSL_KERNELS } from '../../src/engine/ops/wgsl-kernels.ts';

const sorted = (keys: Iterable<string>) => [...keys].sort();

describe('op registry', () => {
  it('gives every graph op a shape rule and both kernels; adamw is the only kernel outside the graph', () => {
    const graphOps = sorted(Object.keys(SHAPE_RULES));
    expect(graphOps).toHaveLength(43);
    expect(sorted(Object.keys(CPU_KERNELS))).toEqual(sorted([...graphOps, 'adamw']));
    expect(sorted(Object.keys(WGSL_KERNELS))).toEqual(sorted(Object.keys(CPU_KERNELS)));
  });

  it('has backward rules for every op but the backward-only and inference-only ones', () => {
    const withoutGradient = Object.keys(SHAPE_RULES).filter((op) => !(op in BACKWARD_RULES));
    expect(sorted(withoutGradient)).toEqual(
      sorted([
        'unary_grad',
        'embedding_grad',
        'layernorm_grad_x',
        'layernorm_grad_w',
        'rmsnorm_grad_x',
        'rmsnorm_grad_w',
        'softmax_causal_grad',
        'flash_attention_stats',
        'flash_attention_grad_q',
        'flash_attention_grad_k',
        'flash_attention_grad_v',
        'token_logprobs_grad',
        'lm_head_logprobs_grad_hidden',
        'lm_head_logprobs_grad_weight',
        'rope_at',
        'cache_write',
      ]),
    );
  });

  it('records nodes through the shape rules (shapes checked) and refuses a gradient through an op without one', () => {
    const g = new Graph();
    const x = g.param('x', [2, 3]);
    expect(g.apply('matmul', [x, g.param('w', [3, 4])], { transA: false, transB: false }).shape).toEqual([2, 4]);
    expect(() => g.apply('matmul', [x, x], { transA: false, transB: false })).toThrow(ShapeError);
    const q = g.param('q', [1, 1, 2, 4]);
    const rotated = g.ropeAt(q, g.input('pos', [1], 'i32'), 10000);
    expect(() => buildBackward(g, g.sumAll(rotated), [q])).toThrow(GradientError);
  });
});
