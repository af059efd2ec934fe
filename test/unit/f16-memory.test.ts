/**
 * Memory under precision "f16-weights": frozen weights count 2 bytes an element where the device
 * stores f16 (WebGPU with shader-f16), 4 where the rounding is only emulated (CPU, adapters
 * without shader-f16); trainable params, gradients and AdamW state are unchanged; the memory check
 * before anything is built uses the same numbers, so a Qwen2.5-0.5B LoRA step that does not fit a
 * budget in f32 fits it with f16 weights.
 */
import { describe, expect, it } from 'vitest';
import type { DeviceTensor } from '../../src/engine/backend.ts';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { ModelDoesNotFitError, selectTargets } from '../../src/engine/index.ts';
import { accountMemory } from '../../src/engine/memory-accounting.ts';
import type { MemoryBudget } from '../../src/engine/memory-fit.ts';
import { numel } from '../../src/engine/ops.ts';
import { ParamStore } from '../../src/engine/params.ts';
import { roundArrayToF16 } from '../../src/engine/precision/f16.ts';
import { TrainState } from '../../src/engine/train-state.ts';
import { checkPolicyFits, policyMemory } from '../../src/lab/pipeline/fits.ts';
import { QWEN_05B, shapesOnly } from './memory-plan-helpers.ts';

const GiB = 2 ** 30;

/**
 * A CPU backend that says it stores f16 (allocHalf), standing in for WebGPU with shader-f16: its
 * half tensors hold f32 but every write rounds to f16, as the GPU upload does.
 */
class HalfCpu extends CpuBackend {
  readonly halves = new Set<DeviceTensor>();
  budget?: MemoryBudget;
  allocHalf(n: number): DeviceTensor {
    const t = this.alloc(n, 'f32');
    this.halves.add(t);
    return t;
  }
  override write(t: DeviceTensor, data: Float32Array | Int32Array, offset?: number): void {
    super.write(t, this.halves.has(t) ? roundArrayToF16(data as Float32Array) : data, offset);
  }
  override memoryBudget(): MemoryBudget {
    return this.budget ?? super.memoryBudget();
  }
}

describe('memory under f16-weights', () => {
  it('accountMemory counts half params at 2 bytes and nothing else changes', () => {
    const all = [[10, 6], [6, 2], [6]];
    const half = [[10, 6]];
    const f32 = accountMemory({ params: all, trainable: [[6, 2]], inputs: [[2, 3]], slots: [{ numel: 5 }] });
    const f16 = accountMemory({
      params: all,
      halfParams: half,
      trainable: [[6, 2]],
      inputs: [[2, 3]],
      slots: [{ numel: 5 }],
    });
    expect(f32.paramBytes).toBe((60 + 12 + 6) * 4);
    expect(f16.paramBytes).toBe(60 * 2 + (12 + 6) * 4);
    expect(f16.totalBytes).toBe(f32.totalBytes - 120);
    expect([f16.gradBytes, f16.optimizerBytes, f16.inputBytes]).toEqual([
      f32.gradBytes,
      f32.optimizerBytes,
      f32.inputBytes,
    ]);
  });

  it('halves the frozen weight bytes of a Qwen2.5-0.5B LoRA step, and the check uses it', () => {
    const model = shapesOnly(QWEN_05B, 'qwen2.5-0.5b-shaped');
    const lora = { r: 8, alpha: 16, targetModules: ['q_proj', 'k_proj', 'v_proj'], dropout: 0 };
    const targets = selectTargets(model.linearModules(), lora);
    const step = { rows: 8, length: 256 };
    const frozenElements = [...model.shapes.values()].reduce((a, s) => a + numel(s), 0);
    const f32 = policyMemory(model, lora, targets, step);
    const f16 = policyMemory(model, lora, targets, step, true);
    expect(f32.paramBytes - f16.paramBytes).toBe(2 * frozenElements);
    expect([f16.gradBytes, f16.optimizerBytes]).toEqual([f32.gradBytes, f32.optimizerBytes]);
    const adapterBytes = f32.gradBytes;
    expect(f32.paramBytes).toBe(4 * frozenElements + adapterBytes);
    expect(f16.paramBytes).toBe(2 * frozenElements + adapterBytes);
    console.log(
      `Qwen2.5-0.5B LoRA r=8 q,k,v: ${(frozenElements / 1e6).toFixed(1)}M frozen weights, ` +
        `${((4 * frozenElements) / GiB).toFixed(3)} GiB in f32 -> ${((2 * frozenElements) / GiB).toFixed(3)} GiB in f16; ` +
        `step total ${(f32.totalBytes / GiB).toFixed(2)} -> ${(f16.totalBytes / GiB).toFixed(2)} GiB (activations a lower bound)`,
    );

    // A budget between the two totals: refused in f32 and with emulated f16, accepted with real f16.
    const gpu = new HalfCpu();
    gpu.budget = {
      totalBytes: (f32.totalBytes + f16.totalBytes) / 2,
      totalSource: 'the test budget',
      maxTensorBytes: 2 * GiB,
      maxTensorSource: 'the test binding limit',
    };
    expect(() => checkPolicyFits(model, lora, targets, step, gpu, 'f32')).toThrow(ModelDoesNotFitError);
    expect(() => checkPolicyFits(model, lora, targets, step, gpu, 'f16-weights')).not.toThrow();
    const cpu = Object.assign(new CpuBackend(), { memoryBudget: () => gpu.budget });
    expect(() => checkPolicyFits(model, lora, targets, step, cpu, 'f16-weights')).toThrow(ModelDoesNotFitError);
  });

  it('a store on an f16 device holds frozen params in 2 bytes, rounded, and refuses to train them', async () => {
    const backend = new HalfCpu();
    const store = new ParamStore(backend, { precision: 'f16-weights' });
    const base = Float32Array.from({ length: 24 }, (_, i) => 0.1 + i / 3);
    store.add('base', [4, 6], base, false);
    store.add(
      'adapter',
      [6, 2],
      Float32Array.from({ length: 12 }, (_, i) => i / 7),
      true,
    );
    expect(store.get('base').storage).toBe('f16');
    expect(store.get('adapter').storage).toBe('f32');
    expect(store.bytes()).toBe(24 * 2 + 12 * 4);
    expect(await store.read('base')).toEqual(roundArrayToF16(base));
    expect(await store.read('adapter')).toEqual(Float32Array.from({ length: 12 }, (_, i) => i / 7));
    expect(() => new TrainState(backend, store, ['base'])).toThrow(
      /"base" was added as a frozen weight and rounded to f16/,
    );
    const f32Store = new ParamStore(backend);
    f32Store.add('base', [4, 6], base, false);
    expect(f32Store.bytes()).toBe(24 * 4);
    expect(await f32Store.read('base')).toEqual(base);
  });
});
