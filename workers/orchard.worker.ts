/**
 * The training worker. Everything that touches WebGPU or runs long happens here, off the main
 * thread, so the page stays responsive. For now it answers `probe`: which backend training gets.
 * It keeps the probed device, which training (a later step) will use.
 */
import type { OrchardDevice } from '../src/engine/backends/webgpu/device.ts';
import { probeBackend } from '../src/engine/gpu-probe/probe.ts';
import { type FromWorker, type ToWorker, toWorkerProblem, withVersion } from './protocol.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let device: OrchardDevice | null = null;

function post(msg: FromWorker): void {
  scope.postMessage(msg);
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'probe': {
      device?.device.destroy();
      device = null;
      const result = await probeBackend({
        host: 'browser-worker',
        getGpu: async () => navigator.gpu ?? noWebGpuReason(),
        describeRuntime: () => navigator.userAgent,
      });
      device = result.device;
      post(withVersion<FromWorker>({ type: 'probe-result', id: msg.id, report: result.report }));
      return;
    }
  }
}

function noWebGpuReason(): string {
  if (!scope.isSecureContext) return 'WebGPU needs a secure context (https or localhost); this page is not one';
  return 'navigator.gpu is undefined in the worker: this browser has no WebGPU (use a recent Chrome, Edge or Safari, or enable WebGPU)';
}

scope.addEventListener('message', (event: MessageEvent<unknown>) => {
  const problem = toWorkerProblem(event.data);
  if (problem) {
    post(withVersion<FromWorker>({ type: 'error', id: null, message: `worker ignored a message: ${problem}` }));
    return;
  }
  const msg = event.data as ToWorker;
  handle(msg).catch((err: unknown) => {
    const message = err instanceof Error ? err.message : String(err);
    post(withVersion<FromWorker>({ type: 'error', id: msg.id, message }));
  });
});

scope.addEventListener('unhandledrejection', (event: PromiseRejectionEvent) => {
  post(
    withVersion<FromWorker>({
      type: 'error',
      id: null,
      message: `unhandled rejection in worker: ${String(event.reason)}`,
    }),
  );
});

post(withVersion<FromWorker>({ type: 'ready' }));
