/** The fp32 peak table's lookup by WebGPU adapter (bench/gpu-peaks.ts). */
import { describe, expect, it } from 'vitest';
import { describeThroughput, gpuPeak } from '../../bench/gpu-peaks.ts';
import type { AdapterInfo } from '../../bench/result.ts';

const adapter = (a: Partial<AdapterInfo>): AdapterInfo => ({
  vendor: '',
  architecture: '',
  device: '',
  description: '',
  isFallbackAdapter: false,
  ...a,
});

describe('gpuPeak', () => {
  it('finds the H100 SXM from what Dawn in Node reports (stored in bench/results/2026-11-28-nvidia-h100-node.json)', () => {
    const h100 = adapter({
      vendor: 'nvidia',
      device: 'nvidia-h100-80gb-hbm3',
      description: 'NVIDIA: 580.159.04 580.159.4.0',
    });
    expect(gpuPeak(h100)?.name).toBe('NVIDIA H100 SXM');
    expect(gpuPeak(h100)?.fp32Tflops).toBe(67);
  });

  it('tells the H100 PCIe and the H200 apart from the H100 SXM', () => {
    expect(gpuPeak(adapter({ vendor: 'nvidia', device: 'NVIDIA H100 PCIe' }))?.fp32Tflops).toBe(51);
    expect(gpuPeak(adapter({ vendor: 'nvidia', device: 'nvidia-h200' }))?.name).toBe('NVIDIA H200 SXM');
    expect(gpuPeak(adapter({ description: 'NVIDIA A100-SXM4-40GB' }))?.fp32Tflops).toBe(19.5);
    expect(gpuPeak(adapter({ description: 'NVIDIA GeForce RTX 4090' }))?.fp32Tflops).toBe(82.6);
    expect(gpuPeak(adapter({ vendor: 'apple', description: 'Apple M2' }))?.fp32Tflops).toBe(3.6);
    expect(gpuPeak(adapter({ vendor: 'apple', description: 'Apple M2 Max' }))).toBeNull();
  });

  it('has no peak for software adapters, unknown cards or no adapter', () => {
    const swiftshader = adapter({ vendor: 'google', architecture: 'swiftshader', isFallbackAdapter: true });
    expect(gpuPeak(swiftshader)).toBeNull();
    expect(gpuPeak(adapter({ vendor: 'nvidia', architecture: 'hopper' }))).toBeNull();
    expect(gpuPeak(null)).toBeNull();
  });

  it('says what fraction of the peak a step reaches, or why it cannot', () => {
    const h100 = adapter({ vendor: 'nvidia', device: 'nvidia-h100-80gb-hbm3' });
    // 0.67 TFLOP in 10 ms = 67 TFLOP/s = 100% of 67.
    expect(describeThroughput(0.67e12, 10, h100, true)).toBe("67.00 (100.0% of NVIDIA H100 SXM's 67)");
    expect(describeThroughput(0.67e12, 10, adapter({ vendor: 'nvidia' }), true)).toBe('67.00 (unknown peak)');
    expect(describeThroughput(1e9, 10, adapter({ isFallbackAdapter: true }), true)).toBe('0.10 (software adapter)');
    expect(describeThroughput(1e9, 10, null, false)).toBe('0.10');
  });
});
