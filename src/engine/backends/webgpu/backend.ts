/**
 * The WebGPU backend: device tensors in pooled storage buffers, launch lists compiled once into
 * pipelines + bind groups (program.ts), asynchronous reads through a staging ring, and device loss
 * surfaced as DeviceLostError. Runs, read copies and buffer clears go into one pending command
 * batch (command-batch.ts): a program run and the reads after it are one queue submission.
 */
import type { Backend, DeviceTensor, Launch } from '../../backend.ts';
import type { MemoryBudget } from '../../memory-fit.ts';
import type { DType } from '../../ops.ts';
import { BufferPool, type MemoryStats } from './buffer-pool.ts';
import { CommandBatch } from './command-batch.ts';
import type { CapabilityReport } from './device.ts';
import { DeviceLostError, DoesNotFitError, WebGPUError } from './errors.ts';
import { estimateFit, type FitEstimate } from './fit.ts';
import { packHalfForUpload } from './half.ts';
import { DEFAULT_MATMUL_TILE, MATMUL_TILES, type MatmulTileName, tileBytes } from './kernels/matmul-tiles.ts';
import type { KernelContext, KernelLimits, MatmulVariant, RowStrategy } from './kernels/types.ts';
import { tunedSubgroups, tunedTile } from './matmul-autotune.ts';
import { PipelineCache } from './pipeline-cache.ts';
import { compileProgram, type ProgramHost, type WebGPUProgram } from './program.ts';
import { StagingRing } from './readback.ts';
import { kernelSubgroupSize, tunableSubgroupSize } from './subgroups.ts';
import {
  asGpuTensor,
  BYTES_PER_ELEMENT,
  GpuTensor,
  type SegmentLayout,
  segmentCount,
  segmentElems,
  segmentLayout,
} from './tensor.ts';

export interface WebGPUBackendOptions {
  /**
   * Upper bound on bytes per tensor segment (one storage binding). Defaults to the device's
   * maxStorageBufferBindingSize and maxBufferSize; tests lower it to exercise split tensors.
   */
  maxSegmentBytes?: number;
  /** Matmul kernels: 'tiled' (shared memory, for GPUs) or 'register' (for CPU adapters such as SwiftShader). */
  matmul?: MatmulVariant;
  /** Row reductions: a workgroup per row ('workgroup', for GPUs) or a thread per row ('thread', for CPU adapters). */
  rows?: RowStrategy;
  /**
   * Fuse launches into fewer dispatches (fusion/index.ts): elementwise epilogues into their
   * producers, whole-tensor sums and scalar ops into multi-tensor kernels. Default true; tests turn
   * it off to compare against the one-kernel-per-launch path.
   */
  fusion?: boolean;
  /**
   * Tile shape of the 'tiled' matmul (kernels/matmul-tiles.ts): a fixed one (tests force one), or
   * 'auto' for the shape createWebGPUBackend's short autotune picks (matmul-autotune.ts); default:
   * this adapter's tuned shape if it was tuned in this process, else 64x64.
   */
  matmulTile?: MatmulTileName | 'auto';
  /**
   * Subgroup operations in kernels (the skinny matmul's shared operand, kernels/matmul-skinny.ts):
   * by default on GPUs ('tiled' matmuls) whose device has 'subgroups' when the autotune timed them
   * faster than plain loads on this adapter (on until timed), off on CPU adapters, where shuffles
   * measured slower; true requires them, false turns them off (neither is timed).
   */
  subgroups?: boolean;
  /** Products with a short side (decode, LoRA rank) use the skinny matmul; default true, false for comparisons. */
  skinnyMatmul?: boolean;
  /** Whether the adapter is a software fallback (picks the default matmul and row strategies). */
  isFallbackAdapter?: boolean;
  /** Budget for all device allocations, used by estimateFit (WebGPU does not expose device memory). */
  memoryBudgetBytes?: number;
  /** Destroy the device in dispose() (set when the backend created the device itself). */
  ownsDevice?: boolean;
  /** What the adapter offered (device.ts), kept for reports; set by createWebGPUBackend. */
  report?: CapabilityReport;
}

/** Cumulative counters since the backend was created; benchmarks diff them around a step. */
export interface BackendCounters {
  /** Queue submissions: one per command batch (a program run with the reads and clears around it). */
  submissions: number;
  dispatches: number;
  programRuns: number;
  reads: number;
  bytesRead: number;
  bytesWritten: number;
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly layout: SegmentLayout;
  readonly limits: KernelLimits;
  readonly matmul: MatmulVariant;
  readonly rows: RowStrategy;
  /** The tiled matmul's tile shape (set by the autotune, matmul-autotune.ts). */
  matmulTile: MatmulTileName;
  /**
   * The adapter's largest subgroup size when kernels use subgroup operations; undefined when they
   * do not. Set by the autotune when the choice is its (`tunableSubgroupSize`).
   */
  subgroupSize: number | undefined;
  /** The subgroup size the autotune times against plain loads; undefined when it is not its choice. */
  readonly tunableSubgroupSize: number | undefined;
  readonly counters: BackendCounters = {
    submissions: 0,
    dispatches: 0,
    programRuns: 0,
    reads: 0,
    bytesRead: 0,
    bytesWritten: 0,
  };
  readonly report: CapabilityReport | undefined;
  /** Resolves (never rejects) when the device is lost, with the error later calls will throw. */
  readonly lost: Promise<DeviceLostError>;
  /** f16 storage (Backend.allocHalf): only on a device with 'shader-f16' enabled. */
  readonly allocHalf?: (numel: number) => GpuTensor;

  private readonly pool: BufferPool;
  private readonly commands: CommandBatch;
  private readonly staging: StagingRing;
  private readonly pipelines: PipelineCache;
  private readonly constants = new Map<string, GPUBuffer>();
  private readonly programs = new Set<WebGPUProgram>();
  private readonly pendingReads = new Set<(e: Error) => void>();
  private lostError: DeviceLostError | undefined;
  private firstError: WebGPUError | undefined;
  private errorCount = 0;
  private disposed = false;

  constructor(
    readonly device: GPUDevice,
    private readonly options: WebGPUBackendOptions = {},
  ) {
    const l = device.limits;
    const maxSegment = Math.min(l.maxStorageBufferBindingSize, l.maxBufferSize, options.maxSegmentBytes ?? Infinity);
    this.layout = segmentLayout(maxSegment);
    const threads = Math.min(256, l.maxComputeInvocationsPerWorkgroup, l.maxComputeWorkgroupSizeX);
    this.limits = {
      maxThreads: 2 ** Math.floor(Math.log2(threads)),
      maxStorageBuffers: l.maxStorageBuffersPerShaderStage,
      maxWorkgroupStorageBytes: l.maxComputeWorkgroupStorageSize,
      maxWorkgroupsPerDim: l.maxComputeWorkgroupsPerDimension,
    };
    const tiledFits = this.limits.maxThreads >= 256 && this.limits.maxWorkgroupStorageBytes >= 8192;
    this.matmul = options.matmul ?? (options.isFallbackAdapter || !tiledFits ? 'register' : 'tiled');
    if (this.matmul === 'tiled' && !tiledFits) {
      throw new RangeError('tiled matmul needs 256 invocations and 8 KiB of workgroup storage per workgroup');
    }
    this.rows = options.rows ?? (options.isFallbackAdapter ? 'thread' : 'workgroup');
    if (device.features.has('shader-f16')) this.allocHalf = (numel) => this.allocSegments(numel, 'f32', true);
    this.report = options.report;
    this.subgroupSize = kernelSubgroupSize(device, options, this.matmul, tunedSubgroups(options.report)?.use);
    this.tunableSubgroupSize = tunableSubgroupSize(device, options, this.matmul, this.limits.maxThreads);
    const tile = options.matmulTile;
    this.matmulTile = tile && tile !== 'auto' ? tile : (tunedTile(options.report) ?? DEFAULT_MATMUL_TILE);
    if (this.matmul === 'tiled' && tileBytes(MATMUL_TILES[this.matmulTile]) > this.limits.maxWorkgroupStorageBytes) {
      throw new RangeError(
        `matmul tile ${this.matmulTile} needs ${tileBytes(MATMUL_TILES[this.matmulTile])} bytes of workgroup storage; ` +
          `the device has ${this.limits.maxWorkgroupStorageBytes}. Pick a smaller matmulTile.`,
      );
    }
    this.pool = new BufferPool(device);
    this.commands = new CommandBatch(device, () => this.counters.submissions++);
    this.staging = new StagingRing(device, this.commands);
    this.pipelines = new PipelineCache(device);
    this.lost = device.lost.then((info) => {
      this.lostError = new DeviceLostError(info.message, info.reason ?? 'unknown');
      for (const reject of this.pendingReads) reject(this.lostError);
      this.pendingReads.clear();
      return this.lostError;
    });
    device.addEventListener('uncapturederror', (event) => {
      const error = (event as GPUUncapturedErrorEvent).error;
      this.errorCount++;
      this.firstError ??= new WebGPUError(`WebGPU reported: ${error.message}`);
    });
  }

  /** Device memory held by tensors (live) and by the pool (live + free), with peaks. */
  get memory(): Readonly<MemoryStats> {
    return this.pool.stats;
  }

  get pipelineCount(): number {
    return this.pipelines.size;
  }

  alloc(numel: number, dtype: DType): GpuTensor {
    return this.allocSegments(numel, dtype, false);
  }

  private allocSegments(numel: number, dtype: DType, half: boolean): GpuTensor {
    this.assertAlive();
    if (!(Number.isInteger(numel) && numel >= 0)) throw new RangeError(`alloc: bad element count ${numel}`);
    const segments: GPUBuffer[] = [];
    for (let k = 0; k < segmentCount(numel, this.layout); k++) {
      const elems = Math.max(1, segmentElems(numel, k, this.layout));
      // f16 segments are rounded up to whole 4-byte words (buffer copies and writes move words).
      const bytes = half ? Math.ceil(elems / 2) * 4 : elems * BYTES_PER_ELEMENT;
      const { buffer, reused } = this.pool.acquire(bytes);
      // Recorded after any pending work that used the buffer before it was freed.
      if (reused) this.commands.encoder().clearBuffer(buffer);
      segments.push(buffer);
    }
    return new GpuTensor(numel, dtype, segments, this.layout, half);
  }

  free(t: DeviceTensor): void {
    const g = asGpuTensor(t, 'free');
    g.freed = true;
    for (const b of g.segments) this.pool.release(b);
  }

  write(t: DeviceTensor, data: Float32Array | Int32Array, offset = 0): void {
    this.assertAlive();
    const g = asGpuTensor(t, 'write');
    const expected = g.dtype === 'i32' ? Int32Array : Float32Array;
    if (!(data instanceof expected)) {
      throw new TypeError(`write: ${g.dtype} tensor needs a ${expected.name}, got ${data.constructor.name}`);
    }
    if (offset < 0 || offset + data.length > g.numel) {
      throw new RangeError(`write: ${data.length} elements at offset ${offset} overflow a tensor of ${g.numel}`);
    }
    // writeBuffer lands before every command buffer submitted after it: submit the work recorded
    // before this write first, or a pending run or read would see the new data.
    this.commands.flush();
    if (g.half) {
      for (const part of packHalfForUpload(g, data as Float32Array, offset)) {
        this.device.queue.writeBuffer(part.buffer, part.byteOffset, part.words);
      }
      this.counters.bytesWritten += data.length * g.elementBytes;
      return;
    }
    let done = 0;
    while (done < data.length) {
      const at = offset + done;
      const k = Math.floor(at / this.layout.elems);
      const inSeg = at - k * this.layout.elems;
      const n = Math.min(data.length - done, this.layout.elems - inSeg);
      this.device.queue.writeBuffer(
        g.segments[k],
        inSeg * BYTES_PER_ELEMENT,
        data as Float32Array<ArrayBuffer>,
        done,
        n,
      );
      done += n;
    }
    this.counters.bytesWritten += data.byteLength;
  }

  async read(t: DeviceTensor, count?: number): Promise<Float32Array | Int32Array> {
    this.assertAlive();
    const g = asGpuTensor(t, 'read');
    const n = count ?? g.numel;
    if (n < 0 || n > g.numel) throw new RangeError(`read: ${n} elements from a tensor of ${g.numel}`);
    if (n === 0) return g.dtype === 'i32' ? new Int32Array(0) : new Float32Array(0);
    this.counters.reads++;
    this.counters.bytesRead += n * g.elementBytes;
    let reject: (e: Error) => void = () => {};
    const lost = new Promise<never>((_, r) => {
      reject = r;
    });
    this.pendingReads.add(reject);
    try {
      const data = await Promise.race([this.staging.read(g, n), lost]);
      this.throwRecordedError();
      return data;
    } catch (e) {
      throw this.lostError ?? e;
    } finally {
      this.pendingReads.delete(reject);
    }
  }

  compile(launches: readonly Launch[]): WebGPUProgram {
    const host: ProgramHost = {
      device: this.device,
      pipelines: this.pipelines,
      assertAlive: () => this.assertAlive(),
      encoderForRun: () => this.commands.encoderForRun(),
      onRun: (dispatches) => {
        this.counters.programRuns++;
        this.counters.dispatches += dispatches;
      },
      flush: () => this.commands.flush(),
      onDispose: (program) => this.programs.delete(program),
    };
    const program = compileProgram(host, launches, (owned) => this.kernelContext(owned), this.options.fusion ?? true);
    this.programs.add(program);
    return program;
  }

  async sync(): Promise<void> {
    this.assertAlive();
    this.commands.flush();
    await Promise.race([this.device.queue.onSubmittedWorkDone(), this.lost.then((e) => Promise.reject(e))]);
    this.throwRecordedError();
  }

  /** Checks a model's memory needs against this device before anything is allocated. */
  estimateFit(bytesNeeded: number, largestTensorBytes = 0): FitEstimate {
    const l = this.device.limits;
    return estimateFit(
      {
        maxBufferSize: l.maxBufferSize,
        maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
        maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
        segmentBytes: this.layout.bytes,
        memoryBudgetBytes: this.options.memoryBudgetBytes,
      },
      bytesNeeded,
      largestTensorBytes,
    );
  }

  /**
   * For checkFits (memory-fit.ts): the largest tensor the kernels can bind (estimateFit's split
   * into segments) and the caller's budget, if given: WebGPU does not report device memory.
   */
  memoryBudget(): MemoryBudget {
    const fit = this.estimateFit(0, 0);
    return {
      totalBytes: this.options.memoryBudgetBytes,
      totalSource: 'the WebGPU memory budget',
      maxTensorBytes: fit.maxTensorBytes,
      maxTensorSource: 'the largest tensor this GPU can bind (in maxStorageBufferBindingSize segments)',
      alternative: 'use the CPU backend',
    };
  }

  /** estimateFit, throwing DoesNotFitError with the numbers when it does not fit. */
  assertFits(bytesNeeded: number, largestTensorBytes = 0): void {
    const fit = this.estimateFit(bytesNeeded, largestTensorBytes);
    if (!fit.fits) throw new DoesNotFitError(`Model ${fit.message}`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    // Pending reads still get their data; destroyed buffers must not be in unsubmitted work.
    this.commands.flush();
    for (const p of [...this.programs]) p.dispose();
    this.programs.clear();
    for (const b of this.constants.values()) b.destroy();
    this.constants.clear();
    this.pool.trim();
    this.staging.destroy();
    if (this.options.ownsDevice) this.device.destroy();
  }

  private assertAlive(): void {
    if (this.lostError) throw this.lostError;
    if (this.disposed) throw new Error('WebGPUBackend: used after dispose()');
  }

  private throwRecordedError(): void {
    const e = this.firstError;
    if (!e) return;
    const more = this.errorCount > 1 ? ` (and ${this.errorCount - 1} more errors)` : '';
    this.firstError = undefined;
    this.errorCount = 0;
    throw new WebGPUError(e.message + more);
  }

  private kernelContext(owned: GPUBuffer[]): KernelContext {
    return {
      device: this.device,
      layout: this.layout,
      limits: this.limits,
      matmul: this.matmul,
      rows: this.rows,
      matmulTile: this.matmulTile,
      subgroups: this.subgroupSize === undefined ? undefined : { maxSize: this.subgroupSize },
      skinnyMatmul: this.options.skinnyMatmul,
      scratch: (bytes) => {
        const b = this.device.createBuffer({
          label: 'scratch',
          size: Math.max(16, Math.ceil(bytes / 16) * 16),
          usage: GPUBufferUsage.STORAGE,
        });
        owned.push(b);
        return b;
      },
      constant: (key, make) => {
        let b = this.constants.get(key);
        if (!b) {
          const data = make();
          b = this.device.createBuffer({
            label: key,
            size: Math.max(16, Math.ceil(data.byteLength / 16) * 16),
            usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
          });
          this.device.queue.writeBuffer(b, 0, data as Float32Array<ArrayBuffer>);
          this.constants.set(key, b);
        }
        return b;
      },
    };
  }
}
