/**
 * The capability report: which backend the training worker got, and why. Filled by the worker
 * client (orchard-worker.ts) from the worker's `probe-result` message.
 */
import { create } from 'zustand';
import type { ProbeReport } from '../engine/gpu-probe/probe.ts';

export type ProbeStatus = 'idle' | 'probing' | 'ready' | 'error';

export interface CapabilityState {
  status: ProbeStatus;
  report: ProbeReport | null;
  /** Why the probe itself failed (the worker crashed or answered an error); not a CPU fallback. */
  error: string | null;
  /** How many probes have finished (report or error); lets tests and the UI tell a fresh answer from an old one. */
  finished: number;
  probing: () => void;
  received: (report: ProbeReport) => void;
  failed: (message: string) => void;
}

export const useCapabilityStore = create<CapabilityState>()((set) => ({
  status: 'idle',
  report: null,
  error: null,
  finished: 0,
  probing: () => set({ status: 'probing', error: null }),
  received: (report) => set((s) => ({ status: 'ready', report, error: null, finished: s.finished + 1 })),
  failed: (message) => set((s) => ({ status: 'error', error: message, finished: s.finished + 1 })),
}));
