/**
 * Prologue fusion: a data-movement launch (slice_last, permute, pad_last) whose output only the
 * very next launch reads, and which is overwritten before anything reads it again, is not run:
 * the consumer's kernel computes each element it loads straight from the producer's input (the
 * forward's q/k/v split into heads, the backward's heads merged and padded back into c_attn's
 * gradient). Adjacency keeps this legal next to the other fusions: nothing can run in between.
 */
import type { DeviceTensor, Launch } from '../../../backend.ts';
import type { OpKind } from '../../../ops.ts';
import type { Kernel, LoadHook } from '../kernels/builder.ts';
import { asGpuTensor } from '../tensor.ts';
import { count, deadAfter } from './access.ts';

const PRODUCERS: ReadonlySet<OpKind> = new Set<OpKind>(['slice_last', 'permute', 'pad_last']);

export interface Prologue {
  readonly producer: number;
  readonly consumer: number;
}

/** Producer position -> prologue; `taken` positions (other fusions) are left alone. */
export function planPrologues(launches: readonly Launch[], maxElems: number, taken: ReadonlySet<number>): Prologue[] {
  const out: Prologue[] = [];
  const used = new Set<number>();
  for (let p = 0; p + 1 < launches.length; p++) {
    const c = p + 1;
    if (taken.has(p) || taken.has(c) || used.has(p) || used.has(c)) continue;
    const prod = launches[p];
    const cons = launches[c];
    const t = prod.output.tensor;
    const n = count(prod.output);
    const src = prod.inputs[0];
    if (!PRODUCERS.has(prod.op) || prod.output.dtype !== 'f32' || n === 0 || n > maxElems) continue;
    if (count(src) > maxElems || src.tensor === t) continue;
    // The consumer reads the whole output, does not write it or the producer's input, and the
    // output is dead afterwards.
    const views = cons.inputs.filter((v) => v.tensor === t);
    if (views.length === 0 || views.some((v) => count(v) !== n || v.dtype !== 'f32')) continue;
    if (cons.output.tensor === t || cons.output.tensor === src.tensor) continue;
    if (!deadAfter(launches, c, t, n, new Set())) continue;
    out.push({ producer: p, consumer: c });
    used.add(p).add(c);
  }
  return out;
}

/** The load hook computing the producer's output element i from its input. */
export function prologueHook(launches: readonly Launch[], pro: Prologue): LoadHook {
  const prod = launches[pro.producer];
  const target = asGpuTensor(prod.output.tensor, 'prologue producer');
  const src = prod.inputs[0];
  return {
    target,
    install(k: Kernel, name: string): string {
      const s = `${name}_src`;
      k.tensor(s, asGpuTensor(src.tensor as DeviceTensor, 'prologue source'), count(src), 'read');
      return `fn ld_${name}(i: u32) -> f32 {\n${indexWgsl(prod, s)}\n}\n`;
    },
  };
}

/** WGSL returning element i of the producer's output, reading its input through ld_<s>. */
function indexWgsl(prod: Launch, s: string): string {
  const inShape = prod.inputs[0].shape;
  const last = inShape[inShape.length - 1];
  switch (prod.op) {
    case 'slice_last': {
      const { start, len } = prod.attrs as { start: number; len: number };
      return `  return ld_${s}((i / ${len}u) * ${last}u + ${start}u + i % ${len}u);`;
    }
    case 'pad_last': {
      const { start, total } = prod.attrs as { start: number; total: number };
      return `  let j = i % ${total}u;
  if (j < ${start}u || j >= ${start + last}u) { return 0.0; }
  return ld_${s}((i / ${total}u) * ${last}u + j - ${start}u);`;
    }
    case 'permute': {
      const pad = 4 - inShape.length;
      const shape4 = [...Array(pad).fill(1), ...inShape];
      const perm = [...Array(pad).keys(), ...(prod.attrs as { perm: readonly number[] }).perm.map((q) => q + pad)];
      const inStride = [shape4[1] * shape4[2] * shape4[3], shape4[2] * shape4[3], shape4[3], 1];
      const [, d1, d2, d3] = perm.map((q) => shape4[q]);
      const st = perm.map((q) => inStride[q]);
      return `  let o3 = i % ${d3}u;
  let o2 = (i / ${d3}u) % ${d2}u;
  let o1 = (i / ${d3 * d2}u) % ${d1}u;
  let o0 = i / ${d3 * d2 * d1}u;
  return ld_${s}(o0 * ${st[0]}u + o1 * ${st[1]}u + o2 * ${st[2]}u + o3 * ${st[3]}u);`;
    }
    default:
      throw new Error(`prologue: ${prod.op} is not a data-movement producer`);
  }
}
