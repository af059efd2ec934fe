/**
 * A compiled launch list: every pipeline, uniform block and bind group is created once in
 * `compileProgram`; `run()` only records dispatches into one compute pass of the backend's pending
 * command batch (command-batch.ts), which is submitted once together with the reads that follow.
 * Unless the backend turns it off, the fusion pass (fusion/index.ts) computes the launches in
 * fewer dispatches than one kernel per launch.
 */
import type { Launch, Program } from '../../backend.ts';
import type { OpKind } from '../../ops.ts';
import { fusedDispatches } from './fusion/index.ts';
import { ELEMENTWISE_OPS } from './fusion/scalar-ops.ts';
import { kernelFor } from './kernels/registry.ts';
import type { DispatchSpec, KernelContext } from './kernels/types.ts';
import type { PipelineCache } from './pipeline-cache.ts';

export interface ProgramStats {
  /** Kernel dispatches per run. */
  readonly dispatches: number;
  /**
   * Queue submissions per run (always 1): the run's submission also carries the reads and buffer
   * clears issued in the same synchronous burst.
   */
  readonly submissions: number;
  /** Launches that needed no kernel (reshape aliasing its input). */
  readonly aliasedLaunches: number;
  /** Launches the program was compiled from. */
  readonly launches: number;
  /** Launches computed inside another launch's kernels by the fusion pass (fusion/index.ts). */
  readonly fusedLaunches: number;
  readonly uniformBytes: number;
  readonly scratchBytes: number;
}

interface CompiledDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly bindGroup: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/**
 * Ops whose output may be the same tensor as an input: elementwise ops read each element before
 * writing it, and adamw / cache_write are defined in place.
 */
const ALIAS_OK: ReadonlySet<OpKind> = new Set<OpKind>([...ELEMENTWISE_OPS, 'adamw', 'cache_write']);

export interface ProgramHost {
  readonly device: GPUDevice;
  readonly pipelines: PipelineCache;
  /** Throws DeviceLostError when the device is gone. */
  assertAlive(): void;
  /** The encoder of the backend's pending submission, started fresh for every run. */
  encoderForRun(): GPUCommandEncoder;
  onRun(dispatches: number): void;
  /** Submits pending commands, which may use this program's buffers, before they are destroyed. */
  flush(): void;
  /** The program freed its buffers; the host stops tracking it. */
  onDispose(program: WebGPUProgram): void;
}

export class WebGPUProgram implements Program {
  private disposed = false;

  constructor(
    private readonly host: ProgramHost,
    private readonly dispatches: readonly CompiledDispatch[],
    private readonly owned: readonly GPUBuffer[],
    readonly stats: ProgramStats,
  ) {}

  run(): void {
    if (this.disposed) throw new Error('WebGPUProgram.run: the program was disposed');
    this.host.assertAlive();
    const pass = this.host.encoderForRun().beginComputePass({ label: 'program' });
    for (const d of this.dispatches) {
      pass.setPipeline(d.pipeline);
      pass.setBindGroup(0, d.bindGroup);
      pass.dispatchWorkgroups(d.workgroups[0], d.workgroups[1], d.workgroups[2]);
    }
    pass.end();
    this.host.onRun(this.dispatches.length);
  }

  /** Frees the program's uniform and scratch buffers (pipelines stay cached in the backend). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.host.flush();
    for (const b of this.owned) b.destroy();
    this.host.onDispose(this);
  }
}

export function compileProgram(
  host: ProgramHost,
  launches: readonly Launch[],
  makeContext: (owned: GPUBuffer[]) => KernelContext,
  fusion = true,
): WebGPUProgram {
  host.assertAlive();
  const owned: GPUBuffer[] = [];
  const ctx = makeContext(owned);
  launches.forEach(checkAliasing);
  // Reshapes that alias their input need no kernel; `original` maps back for error messages.
  const original = launches.flatMap((l, i) =>
    l.op === 'reshape' && l.output.tensor === l.inputs[0].tensor ? [] : [i],
  );
  const kept = original.map((i) => launches[i]);
  const aliasedLaunches = launches.length - kept.length;
  const compileOne = (launch: Launch, index: number, c: KernelContext): DispatchSpec[] => {
    try {
      return kernelFor(launch.op)(launch, c);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw new Error(`WebGPU compile: launch #${original[index]} (${launch.op}): ${msg}`, { cause: e });
    }
  };
  let specs: DispatchSpec[];
  let fusedLaunches = 0;
  if (fusion) {
    const fused = fusedDispatches(kept, ctx, compileOne);
    specs = fused.specs;
    fusedLaunches = fused.stats.fusedLaunches;
  } else {
    specs = kept.flatMap((l, i) => compileOne(l, i, ctx));
  }

  const align = host.device.limits.minUniformBufferOffsetAlignment;
  const offsets: number[] = [];
  let uniformBytes = 0;
  for (const s of specs) {
    offsets.push(uniformBytes);
    uniformBytes += Math.ceil(s.uniform.byteLength / align) * align;
  }
  const ubo = host.device.createBuffer({
    label: 'program uniforms',
    size: Math.max(uniformBytes, 16),
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  owned.push(ubo);
  const packed = new Uint8Array(Math.max(uniformBytes, 16));
  for (let i = 0; i < specs.length; i++) packed.set(new Uint8Array(specs[i].uniform), offsets[i]);
  host.device.queue.writeBuffer(ubo, 0, packed);

  const dispatches = specs.map((s, i): CompiledDispatch => {
    const { pipeline, layout } = host.pipelines.get(s.label, s.wgsl, s.access);
    const entries: GPUBindGroupEntry[] = [
      { binding: 0, resource: { buffer: ubo, offset: offsets[i], size: s.uniform.byteLength } },
      ...s.bindings.map((b, j) => ({
        binding: j + 1,
        resource: b.size === undefined ? { buffer: b.buffer } : { buffer: b.buffer, size: b.size },
      })),
    ];
    const bindGroup = host.device.createBindGroup({ label: s.label, layout, entries });
    return { pipeline, bindGroup, workgroups: s.workgroups };
  });
  const scratchBytes = owned.slice(0, -1).reduce((n, b) => n + b.size, 0);
  return new WebGPUProgram(host, dispatches, owned, {
    dispatches: dispatches.length,
    submissions: 1,
    aliasedLaunches,
    launches: launches.length,
    fusedLaunches,
    uniformBytes,
    scratchBytes,
  });
}

function checkAliasing(launch: Launch, index: number): void {
  if (ALIAS_OK.has(launch.op) || launch.op === 'reshape') return;
  const i = launch.inputs.findIndex((v) => v.tensor === launch.output.tensor);
  if (i >= 0) {
    throw new Error(
      `WebGPU compile: launch #${index} (${launch.op}) writes its output into input ${i}; only elementwise ops ` +
        'may run in place. Give this launch a separate output tensor.',
    );
  }
}
