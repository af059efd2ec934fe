/**
 * Epilogue fusion: elementwise launches (bias add, GELU, residual add, scale, gradient
 * accumulation...) that consume a kernel's output are computed inside that kernel, at the moment
 * it stores each output element. The producer's `st_out(i, v)` is replaced by a generated store
 * that runs the chain on v in registers and stores every value that can still be observed.
 *
 * Legal because every producer listed in PRODUCERS writes each output element exactly once, from
 * one thread, and never reads its output; every consumer works on element i only (broadcast
 * operands are read-only here); and a consumer is moved up to its producer only when nothing in
 * between conflicts with it (access.ts).
 */
import type { DeviceTensor, Launch } from '../../../backend.ts';
import { UNARY_HELPERS } from '../../../ops/elementwise/wgsl-fns.ts';
import type { OpKind } from '../../../ops.ts';
import type { Kernel, StoreHook } from '../kernels/builder.ts';
import { asGpuTensor } from '../tensor.ts';
import { count, deadAfter, hoistable } from './access.ts';
import { ELEMENTWISE_OPS, scalarOpWgsl } from './scalar-ops.ts';

/** Kernels that store each element of `out` exactly once and never read it back. */
const PRODUCERS: ReadonlySet<OpKind> = new Set<OpKind>([
  'matmul',
  ...ELEMENTWISE_OPS,
  'permute',
  'slice_last',
  'pad_last',
  'broadcast_to',
  'expand_rows',
  'layernorm',
  'layernorm_grad_x',
  'rmsnorm',
  'rmsnorm_grad_x',
  'softmax_causal',
  'softmax_causal_grad',
  'masked_row_sum',
  'sum_all',
  'sum_leading',
]);

const CONSUMERS: ReadonlySet<OpKind> = new Set<OpKind>(ELEMENTWISE_OPS);

/** How far past the producer the pass looks for consumers. */
const WINDOW = 8;

export interface EpilogueGroup {
  readonly producer: number;
  /** Positions of the fused consumers, in program order. */
  readonly consumers: readonly number[];
  /** Tensors whose final in-group value must be stored (the others are overwritten before any read). */
  readonly stored: ReadonlySet<DeviceTensor>;
}

/** Groups by producer position; `fused` holds every consumer position (they emit nothing of their own). */
export function planEpilogues(
  launches: readonly Launch[],
  maxElems: number,
  roles: {
    /** Positions that may not produce (they belong to other fusions). */
    readonly notProducer: ReadonlySet<number>;
    /** Positions that may not be consumed. */
    readonly notConsumer: ReadonlySet<number>;
    /** Tensors a producer's kernel reads beyond its launch's inputs (prologue sources). */
    readonly extraReads: ReadonlyMap<number, readonly DeviceTensor[]>;
  },
): { groups: Map<number, EpilogueGroup>; fused: Set<number> } {
  const groups = new Map<number, EpilogueGroup>();
  const fused = new Set<number>();
  for (let p = 0; p < launches.length; p++) {
    if (fused.has(p) || roles.notProducer.has(p)) continue;
    const prod = launches[p];
    const n = count(prod.output);
    if (!PRODUCERS.has(prod.op) || prod.output.dtype !== 'f32' || n === 0 || n > maxElems) continue;
    const group = new Set<number>([p]);
    const written = new Map<DeviceTensor, number>([[prod.output.tensor, p]]);
    const producerReads = new Set([...prod.inputs.map((v) => v.tensor), ...(roles.extraReads.get(p) ?? [])]);
    const broadcastReads = new Set<DeviceTensor>();
    const consumers: number[] = [];
    for (let c = p + 1; c < Math.min(launches.length, p + 1 + WINDOW); c++) {
      if (fused.has(c) || roles.notConsumer.has(c)) continue;
      const l = launches[c];
      if (!consumable(l, n, written, producerReads, broadcastReads)) continue;
      const skip = new Set([...group, ...fused]);
      if (!hoistable(launches, p, c, skip)) continue;
      group.add(c);
      consumers.push(c);
      written.set(l.output.tensor, c);
      for (const v of l.inputs) if (count(v) !== n) broadcastReads.add(v.tensor);
    }
    if (consumers.length === 0) continue;
    const skip = new Set([...group, ...fused]);
    const stored = new Set<DeviceTensor>();
    for (const [t, last] of written) if (!deadAfter(launches, last, t, n, skip)) stored.add(t);
    groups.set(p, { producer: p, consumers, stored });
    for (const c of consumers) fused.add(c);
  }
  return { groups, fused };
}

export function consumable(
  l: Launch,
  n: number,
  written: ReadonlyMap<DeviceTensor, number>,
  producerReads: ReadonlySet<DeviceTensor>,
  broadcastReads: ReadonlySet<DeviceTensor>,
): boolean {
  if (!CONSUMERS.has(l.op) || l.output.dtype !== 'f32' || count(l.output) !== n) return false;
  let usesGroup = false;
  for (const v of l.inputs) {
    if (v.dtype !== 'f32') return false;
    const k = count(v);
    if (written.has(v.tensor)) {
      if (k !== n) return false;
      usesGroup = true;
    } else if (k !== n && (k === 0 || n % k !== 0 || v.tensor === l.output.tensor)) {
      return false;
    }
  }
  const out = l.output.tensor;
  return usesGroup && !producerReads.has(out) && !broadcastReads.has(out);
}

/**
 * The store hook realizing one group's consumers inside its producer's kernel. With `second` (a
 * matmul computed in the same kernel, fusion/matmul-pair.ts) the hook is `st_out(i, v, v2)` and
 * v2 is that matmul's output element.
 */
export function epilogueHook(launches: readonly Launch[], g: EpilogueGroup, second?: DeviceTensor): StoreHook {
  const prod = launches[g.producer];
  const target = asGpuTensor(prod.output.tensor, 'epilogue producer');
  const n = count(prod.output);
  return {
    target,
    helpers: UNARY_HELPERS,
    install(k: Kernel, raw: string): string {
      const names = new Map<DeviceTensor, string>();
      const nameOf = (t: DeviceTensor, access: 'read' | 'read_write'): string => {
        let name = names.get(t);
        if (name === undefined) {
          name = `ep${names.size}`;
          k.tensor(name, asGpuTensor(t, 'epilogue operand'), n, access);
          names.set(t, name);
        }
        return name;
      };
      const store = (t: DeviceTensor, value: string) =>
        t === target ? `  ${raw}(i, ${value});` : `  st_${nameOf(t, 'read_write')}(i, ${value});`;
      // Outputs first: a tensor both read and written must be bound read_write before its read alias.
      const members = g.consumers.map((c) => launches[c]);
      for (const t of [...members.map((l) => l.output.tensor), ...(second ? [second] : [])]) {
        if (t !== target && g.stored.has(t)) nameOf(t, 'read_write');
      }
      const reg = new Map<DeviceTensor, string>([[prod.output.tensor, 'v']]);
      if (second) reg.set(second, 'v2');
      const lines: string[] = [];
      members.forEach((l, j) => {
        const operand = (idx: number): string => {
          const view = l.inputs[idx];
          const r = reg.get(view.tensor);
          if (r !== undefined) return r;
          const m = count(view);
          const name = nameOf(view.tensor, 'read');
          return m === n ? `ld_${name}(i)` : `ld_${name}(i % ${m}u)`;
        };
        const r = `r${j}`;
        lines.push(`  var ${r}: f32;\n  {\n${scalarOpWgsl(l, operand, r)}\n  }`);
        reg.set(l.output.tensor, r);
      });
      for (const t of g.stored) lines.push(store(t, reg.get(t) as string));
      return `fn st_out(i: u32, v: f32${second ? ', v2: f32' : ''}) {\n${lines.join('\n')}\n}\n`;
    },
  };
}
