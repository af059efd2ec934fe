/**
 * The page's side of the training worker: one module worker per page, requests with ids, replies
 * routed into the stores. UI code calls the functions here and reads the stores; it never talks to
 * the worker directly.
 */
import { type FromWorker, fromWorkerProblem, type ToWorker, withVersion } from '../../workers/protocol.ts';
import { useCapabilityStore } from './capability-store.ts';

let worker: Worker | null = null;
let nextId = 1;
/** The id of the probe awaiting its answer, so errors about other requests are not blamed on it. */
let pendingProbe: number | null = null;

function getWorker(): Worker {
  if (worker) return worker;
  const w = new Worker(new URL('../../workers/orchard.worker.ts', import.meta.url), {
    type: 'module',
    name: 'orchard-training',
  });
  w.addEventListener('message', (event: MessageEvent<unknown>) => {
    const problem = fromWorkerProblem(event.data);
    if (problem) {
      console.error(`orchard: dropped a message from the worker: ${problem}`);
      return;
    }
    route(event.data as FromWorker);
  });
  w.addEventListener('error', (event: ErrorEvent) => {
    // A module that fails to load or throws at top level lands here; nothing else will answer.
    event.preventDefault();
    const where = event.filename ? ` (${event.filename}:${event.lineno})` : '';
    useCapabilityStore.getState().failed(`the training worker crashed: ${event.message || 'unknown error'}${where}`);
    pendingProbe = null;
    worker?.terminate();
    worker = null;
  });
  worker = w;
  return w;
}

function send(msg: Omit<ToWorker, 'v' | 'id'>): number {
  const id = nextId++;
  getWorker().postMessage(withVersion<ToWorker>({ ...msg, id } as Omit<ToWorker, 'v'>));
  return id;
}

function route(msg: FromWorker): void {
  switch (msg.type) {
    case 'ready':
      return;
    case 'probe-result':
      if (msg.id !== pendingProbe) return; // superseded by a newer probe
      pendingProbe = null;
      useCapabilityStore.getState().received(msg.report);
      return;
    case 'error':
      console.error(`orchard worker: ${msg.message}`);
      if (msg.id !== null && msg.id === pendingProbe) {
        pendingProbe = null;
        useCapabilityStore.getState().failed(msg.message);
      }
      return;
  }
}

/** Ask the worker which backend training gets; the answer lands in useCapabilityStore. */
export function probeCapabilities(): void {
  useCapabilityStore.getState().probing();
  pendingProbe = send({ type: 'probe' });
}
