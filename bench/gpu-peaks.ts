/**
 * Peak fp32 throughput of known GPUs (dense, non-tensor-core FP32 at boost clock), from the
 * vendors' data sheets and announcements, so the bench can say what fraction of the card a step
 * uses. Matched against the WebGPU adapter's vendor, architecture, device and description (Dawn in
 * Node names the device, e.g. "nvidia-h100-80gb-hbm3"; Chrome often reports only the vendor and
 * architecture, and then the peak is unknown). First match wins, so specific variants come first.
 */
import type { AdapterInfo } from './result.ts';

export interface GpuPeak {
  name: string;
  fp32Tflops: number;
  /** Where the figure comes from. */
  source: string;
  /** Tested against the adapter's words, lower-cased, with runs of non-alphanumerics as one space. */
  pattern: RegExp;
}

const NVIDIA = 'NVIDIA data sheet';
export const GPU_PEAKS: readonly GpuPeak[] = [
  { name: 'NVIDIA H100 PCIe', fp32Tflops: 51, source: NVIDIA, pattern: /\bh100\b.*\bpcie\b/ },
  { name: 'NVIDIA H100 NVL', fp32Tflops: 60, source: NVIDIA, pattern: /\bh100\b.*\bnvl\b/ },
  { name: 'NVIDIA H100 SXM', fp32Tflops: 67, source: NVIDIA, pattern: /\bh100\b/ },
  { name: 'NVIDIA H200 NVL', fp32Tflops: 60, source: NVIDIA, pattern: /\bh200\b.*\bnvl\b/ },
  { name: 'NVIDIA H200 SXM', fp32Tflops: 67, source: NVIDIA, pattern: /\bh200\b/ },
  { name: 'NVIDIA A100', fp32Tflops: 19.5, source: NVIDIA, pattern: /\ba100\b/ },
  { name: 'NVIDIA L40S', fp32Tflops: 91.6, source: NVIDIA, pattern: /\bl40s\b/ },
  { name: 'NVIDIA L4', fp32Tflops: 30.3, source: NVIDIA, pattern: /\bl4\b/ },
  { name: 'NVIDIA A10G', fp32Tflops: 31.2, source: NVIDIA, pattern: /\ba10g\b/ },
  { name: 'NVIDIA T4', fp32Tflops: 8.1, source: NVIDIA, pattern: /\bt4\b/ },
  { name: 'NVIDIA GeForce RTX 4090', fp32Tflops: 82.6, source: NVIDIA, pattern: /\brtx 4090\b/ },
  { name: 'NVIDIA GeForce RTX 3090', fp32Tflops: 35.6, source: NVIDIA, pattern: /\brtx 3090\b/ },
  { name: 'AMD Instinct MI300X', fp32Tflops: 163.4, source: 'AMD data sheet', pattern: /\bmi300x\b/ },
  {
    name: 'Apple M1',
    fp32Tflops: 2.6,
    source: 'Apple announcement (8-core GPU)',
    pattern: /\bapple m1\b(?! (pro|max|ultra))/,
  },
  {
    name: 'Apple M2',
    fp32Tflops: 3.6,
    source: 'Apple announcement (10-core GPU)',
    pattern: /\bapple m2\b(?! (pro|max|ultra))/,
  },
];

const words = (a: AdapterInfo) =>
  `${a.vendor} ${a.architecture} ${a.device} ${a.description}`.toLowerCase().replace(/[^a-z0-9]+/g, ' ');

/** The adapter's fp32 peak, or null when the adapter is a software one or not in the table. */
export function gpuPeak(adapter: AdapterInfo | null): GpuPeak | null {
  if (!adapter || adapter.isFallbackAdapter) return null;
  const w = words(adapter);
  return GPU_PEAKS.find((p) => p.pattern.test(w)) ?? null;
}

/** "12.3 TFLOP/s (18% of NVIDIA H100 SXM's 67)", or why there is no fraction. */
export function describeThroughput(
  flopsPerStep: number,
  msPerStep: number,
  adapter: AdapterInfo | null,
  gpu: boolean,
): string {
  const tflops = flopsPerStep / (msPerStep * 1e9);
  const value = tflops >= 0.1 ? tflops.toFixed(2) : tflops.toPrecision(2);
  if (!gpu) return `${value}`;
  if (adapter?.isFallbackAdapter) return `${value} (software adapter)`;
  const peak = gpuPeak(adapter);
  if (!peak) return `${value} (unknown peak)`;
  return `${value} (${((100 * tflops) / peak.fp32Tflops).toFixed(1)}% of ${peak.name}'s ${peak.fp32Tflops})`;
}
