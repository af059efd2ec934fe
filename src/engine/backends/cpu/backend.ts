/**
 * The CPU backend: typed arrays and one plain kernel per op. It is the numerical reference for
 * the WebGPU kernels and for PyTorch parity, and the fallback where WebGPU is missing.
 */
import type { Backend, DeviceTensor, Launch, Program } from '../../backend.ts';
import type { DType } from '../../ops.ts';
import { bindLaunch } from './kernels.ts';
import { CpuTensor } from './tensor.ts';

function cpuTensor(t: DeviceTensor, where: string): CpuTensor {
  if (!(t instanceof CpuTensor)) throw new Error(`CpuBackend.${where}: tensor was not allocated by a CpuBackend`);
  return t;
}

export class CpuBackend implements Backend {
  readonly name = 'cpu' as const;

  alloc(numel: number, dtype: DType): DeviceTensor {
    if (!Number.isInteger(numel) || numel < 0) throw new Error(`CpuBackend.alloc: bad element count ${numel}`);
    return new CpuTensor(numel, dtype);
  }

  free(_t: DeviceTensor): void {
    // Garbage collected.
  }

  write(t: DeviceTensor, data: Float32Array | Int32Array, offset = 0): void {
    const ct = cpuTensor(t, 'write');
    const want = ct.dtype === 'f32' ? 'Float32Array' : 'Int32Array';
    if (data.constructor.name !== want)
      throw new Error(`CpuBackend.write: ${ct.dtype} tensor needs a ${want}, got ${data.constructor.name}`);
    if (offset + data.length > ct.numel) {
      throw new Error(`CpuBackend.write: ${data.length} elements at offset ${offset} overflow a tensor of ${ct.numel}`);
    }
    ct.data.set(data, offset);
  }

  async read(t: DeviceTensor, count?: number): Promise<Float32Array | Int32Array> {
    const ct = cpuTensor(t, 'read');
    return ct.data.slice(0, count ?? ct.numel);
  }

  compile(launches: readonly Launch[]): Program {
    const steps = launches.map(bindLaunch);
    return {
      run() {
        for (const s of steps) s();
      },
      stats: { dispatches: steps.length, submissions: 1 },
    };
  }

  async sync(): Promise<void> {}

  dispose(): void {}
}
