/**
 * The training worker. Everything that touches WebGPU or runs long happens here, off the main
 * thread, so the page stays responsive. It answers `probe` (which backend training gets) and runs
 * experiments (`start`, `pause`, `resume`, `stop`, `judge-answer` for a person judging pairs), streaming the pipeline's events to the page in
 * throttled batches (run-driver.ts).
 */
import type { OrchardDevice } from '../src/engine/backends/webgpu/device.ts';
import { probeBackend } from '../src/engine/gpu-probe/probe.ts';
import { type FromWorker, type ToWorker, toWorkerProblem, withVersion } from './protocol.ts';
import { RunDriver } from './run-driver.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
let device: OrchardDevice | null = null;
let current: RunDriver | null = null;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(msg, transfer);
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
    case 'start': {
      if (current?.active) {
        throw new Error(`a run (${current.runId}) is still going; stop it before starting another`);
      }
      const driver = new RunDriver(msg.runId, msg.spec, post, () => navigator.gpu ?? noWebGpuReason());
      current = driver;
      await driver.run();
      return;
    }
    case 'pause':
    case 'resume':
    case 'stop': {
      if (!current || current.runId !== msg.runId || !current.active) return; // already over: nothing to do
      if (msg.type === 'pause') current.pause();
      else if (msg.type === 'resume') current.resume();
      else current.stop();
      return;
    }
    case 'judge-answer': {
      if (!current || current.runId !== msg.runId || !current.active) {
        post(
          withVersion<FromWorker>({
            type: 'error',
            id: msg.id,
            message: `judge answer for ${msg.comparison} ignored: run ${msg.runId} is not training`,
          }),
        );
        return;
      }
      current.answer(msg.comparison, msg.winner);
      return;
    }
    case 'token-margins': {
      if (!current || current.runId !== msg.runId) {
        throw new Error(
          `run ${msg.runId} is not the last experiment trained in this page; train it again to see its tokens`,
        );
      }
      const answer = await current.tokenMargins(msg.run, msg.pairFrom, msg.pairIndex, msg.step);
      post(withVersion<FromWorker>({ type: 'token-margins-result', id: msg.id, runId: msg.runId, answer }));
      return;
    }
    case 'debug-lose-device': {
      if (!current?.active) throw new Error('no run is training, so there is no device to lose');
      current.loseDevice();
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
