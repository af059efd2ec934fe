/**
 * Assembles one dispatch: the uniform struct `p`, storage bindings with generated accessors, and
 * the kernel body. A tensor named `x` is read with `ld_x(i)` and written with `st_x(i, v)`, where
 * `i` is a flat element index; for a tensor stored in several segments the accessor selects the
 * segment, so kernels never see the split. Binding the same buffers twice makes the second name an
 * alias of the first (in-place elementwise ops), since WebGPU forbids binding one buffer as both
 * read-only and read-write storage in a dispatch.
 *
 * A tensor stored as f16 (WebGPUBackend.allocHalf, precision 'f16-weights') is declared
 * `array<f16>` and its accessors convert, so `ld_x` still returns f32 and every kernel accumulates
 * in f32 unchanged; the module then starts with `enable f16;`, which only such tensors (and so only
 * devices with 'shader-f16') ever produce.
 */
import type { DType } from '../../../ops.ts';
import type { GpuTensor } from '../tensor.ts';
import { segmentCount } from '../tensor.ts';
import type { BufferBinding, DispatchSpec, KernelContext } from './types.ts';

export type { LoadHook, StoreHook } from './types.ts';

type Access = 'read' | 'read_write';
type ScalarType = 'u32' | 'i32' | 'f32';
/** What a storage array holds: an engine dtype, or f16 for tensors stored as halves. */
type StorageType = DType | 'f16';

interface Bound {
  readonly name: string;
  readonly buffers: readonly GPUBuffer[];
  readonly access: Access;
}

/** A kernel's label, bindings and WGSL body, for the dispatch helpers (per-output.ts, per-row.ts). */
export interface KernelSource {
  readonly label: string;
  /** Declares the uniforms and the storage bindings (the output, `out`, first). */
  readonly bind: (k: Kernel) => void;
  /** WGSL statements of the entry point, after the helper's own preamble. */
  readonly body: string;
  /** WGSL declarations placed before the entry point (functions, constants). */
  readonly helpers?: string;
}

/** Splits n workgroups over x and y so neither exceeds the per-dimension limit. */
export function grid(nWorkgroups: number, maxPerDim: number): [number, number, number] {
  const n = Math.max(1, nWorkgroups);
  if (n <= maxPerDim) return [n, 1, 1];
  const y = Math.ceil(n / maxPerDim);
  if (y > maxPerDim) throw new RangeError(`dispatch of ${n} workgroups exceeds ${maxPerDim}^2`);
  return [Math.ceil(n / y), y, 1];
}

/** WGSL for the linear workgroup index of a dispatch laid out by `grid` (needs wid and nwg builtins). */
export const LINEAR_WG = 'wid.x + wid.y * nwg.x';

/** Standard entry-point parameters: workgroup id, workgroup count, local index. */
export const ENTRY_ARGS =
  '@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) li: u32';

export class Kernel {
  private readonly fields: { name: string; type: ScalarType; value: number }[] = [];
  private readonly decls: string[] = [];
  private readonly bindings: BufferBinding[] = [];
  private readonly access: Access[] = [];
  private readonly bound: Bound[] = [];
  private hooked = false;

  constructor(
    private readonly ctx: KernelContext,
    private readonly label: string,
  ) {}

  u32(name: string, value: number): this {
    if (!(Number.isInteger(value) && value >= 0 && value < 2 ** 32)) {
      throw new RangeError(`${this.label}: uniform ${name} = ${value} is not a u32`);
    }
    this.fields.push({ name, type: 'u32', value });
    return this;
  }

  i32(name: string, value: number): this {
    this.fields.push({ name, type: 'i32', value });
    return this;
  }

  f32(name: string, value: number): this {
    this.fields.push({ name, type: 'f32', value });
    return this;
  }

  /** Binds the segments of `tensor` that hold its first `count` elements. */
  tensor(name: string, tensor: GpuTensor, count: number, access: Access): this {
    const buffers = tensor.segments.slice(0, segmentCount(count, tensor.layout));
    return this.bind(name, buffers, tensor.half ? 'f16' : tensor.dtype, access);
  }

  /** Binds segment `k` of `tensor` alone (for kernels chunked by segment). */
  segment(name: string, tensor: GpuTensor, k: number, access: Access): this {
    return this.bind(name, [tensor.segments[k]], tensor.half ? 'f16' : tensor.dtype, access);
  }

  /**
   * Binds one-segment f32 `tensor` read-only as array<vec4f>, read with `ld4_<name>(i)` (elements
   * 4i..4i+3): the tiled matmul's vec4 loads (matmul-tiles.ts). A separate read-only binding, never
   * an alias: WebGPU allows binding one buffer twice when neither binding writes it.
   */
  vec4(name: string, tensor: GpuTensor): this {
    const j = this.bindings.length + 1;
    this.bindings.push({ buffer: tensor.segments[0] });
    this.access.push('read');
    this.decls.push(`@group(0) @binding(${j}) var<storage, read> ${name}_v4: array<vec4f>;\n`);
    this.decls.push(`fn ld4_${name}(i: u32) -> vec4f { return ${name}_v4[i]; }\n`);
    return this;
  }

  /** Binds a backend-internal buffer (scratch or constant table) as one array. */
  buffer(name: string, buffer: GPUBuffer, dtype: DType, access: Access): this {
    return this.bind(name, [buffer], dtype, access);
  }

  /** Marks the body as using subgroup builtins: the module then starts with `enable subgroups;`. */
  enableSubgroups(): this {
    this.subgroups = true;
    return this;
  }

  build(body: string, workgroups: readonly [number, number, number]): DispatchSpec {
    const fields = this.fields.length > 0 ? this.fields : [{ name: 'unused', type: 'u32' as const, value: 0 }];
    const struct = `struct Params {\n${fields.map((f) => `  ${f.name}: ${f.type},`).join('\n')}\n}\n@group(0) @binding(0) var<uniform> p: Params;\n`;
    const uniform = new ArrayBuffer(Math.ceil((fields.length * 4) / 16) * 16);
    const view = new DataView(uniform);
    fields.forEach((f, i) => {
      if (f.type === 'f32') view.setFloat32(i * 4, f.value, true);
      else if (f.type === 'i32') view.setInt32(i * 4, f.value, true);
      else view.setUint32(i * 4, f.value, true);
    });
    if (this.bindings.length > this.ctx.limits.maxStorageBuffers) {
      throw new RangeError(
        `${this.label}: needs ${this.bindings.length} storage bindings (tensors split into ` +
          `${this.ctx.layout.bytes}-byte segments), but the device allows ${this.ctx.limits.maxStorageBuffers} per ` +
          'shader stage. Use smaller batches or sequences, or a device with larger maxStorageBufferBindingSize.',
      );
    }
    for (const w of workgroups) {
      if (w > this.ctx.limits.maxWorkgroupsPerDim) {
        throw new RangeError(
          `${this.label}: ${w} workgroups in one dimension (max ${this.ctx.limits.maxWorkgroupsPerDim})`,
        );
      }
    }
    const enable = `${this.halves ? 'enable f16;\n' : ''}${this.subgroups ? 'enable subgroups;\n' : ''}`;
    const hookHelpers = this.hooked ? (this.ctx.storeHook?.helpers ?? '') : '';
    const helpers = hookHelpers && !body.includes(hookHelpers) ? hookHelpers : '';
    const wgsl = `${enable}${struct}${helpers}${this.decls.join('')}\n${body}`;
    return { label: this.label, wgsl, uniform, bindings: this.bindings, access: this.access, workgroups };
  }

  /** Whether an f16 array is bound (the module then needs `enable f16;`). */
  private halves = false;
  private subgroups = false;

  private bind(name: string, buffers: readonly GPUBuffer[], dtype: StorageType, access: Access): this {
    // The value type the accessors take and return; f16 storage widens to f32.
    const type = dtype === 'i32' ? 'i32' : 'f32';
    const stored = dtype === 'f16' ? 'f16' : type;
    if (dtype === 'f16') this.halves = true;
    const same = this.bound.find(
      (b) => b.buffers.length === buffers.length && b.buffers.every((buf, i) => buf === buffers[i]),
    );
    if (same) {
      if (access === 'read_write' && same.access === 'read') {
        throw new Error(`${this.label}: bind the written tensor "${name}" before its read-only alias "${same.name}"`);
      }
      this.decls.push(`fn ld_${name}(i: u32) -> ${type} { return ld_${same.name}(i); }\n`);
      if (access === 'read_write') this.decls.push(`fn st_${name}(i: u32, v: ${type}) { st_${same.name}(i, v); }\n`);
      return this;
    }
    const load = access === 'read' ? this.ctx.loadHooks?.find((h) => h.target.segments[0] === buffers[0]) : undefined;
    if (load) {
      // A fused prologue (fusion/prologue.ts): this tensor is computed from its producer's inputs.
      this.bound.push({ name, buffers, access });
      this.decls.push(load.install(this, name));
      return this;
    }
    this.bound.push({ name, buffers, access });
    const first = this.bindings.length + 1;
    buffers.forEach((buffer, k) => {
      this.bindings.push({ buffer });
      this.access.push(access);
      this.decls.push(`@group(0) @binding(${first + k}) var<storage, ${access}> ${name}_${k}: array<${stored}>;\n`);
    });
    const shift = this.ctx.layout.shift;
    this.decls.push(accessor('ld', name, type, buffers.length, shift, stored === 'f16'));
    const hook = this.ctx.storeHook;
    if (hook && !this.hooked && name === 'out' && access === 'read_write' && buffers[0] === hook.target.segments[0]) {
      // A fused epilogue (fusion/epilogue.ts) wraps this kernel's output store.
      this.hooked = true;
      this.decls.push(accessor('st', name, type, buffers.length, shift, stored === 'f16', 'st_out_raw'));
      this.decls.push(hook.install(this, 'st_out_raw'));
    } else if (access === 'read_write') {
      this.decls.push(accessor('st', name, type, buffers.length, shift, stored === 'f16'));
    }
    return this;
  }
}

function accessor(
  kind: 'ld' | 'st',
  name: string,
  type: string,
  segments: number,
  shift: number,
  half = false,
  fnName = `${kind}_${name}`,
): string {
  const sig = kind === 'ld' ? `fn ${fnName}(i: u32) -> ${type}` : `fn ${fnName}(i: u32, v: ${type})`;
  const load = (k: number, idx: string) => (half ? `f32(${name}_${k}[${idx}])` : `${name}_${k}[${idx}]`);
  const op = (k: number, idx: string) =>
    kind === 'ld' ? `return ${load(k, idx)};` : `${name}_${k}[${idx}] = ${half ? 'f16(v)' : 'v'};`;
  if (segments === 1) return `${sig} { ${op(0, 'i')} }\n`;
  const mask = 2 ** shift - 1;
  let s = `${sig} {\n  let s = i >> ${shift}u;\n  let j = i & ${mask}u;\n`;
  for (let k = 0; k < segments - 1; k++) s += `  if (s == ${k}u) { ${op(k, 'j')}${kind === 'st' ? ' return;' : ''} }\n`;
  return `${s}  ${op(segments - 1, 'j')}\n}\n`;
}
