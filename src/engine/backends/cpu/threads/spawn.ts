/**
 * Starting a helper thread from its source text in either runtime: a worker_threads Worker with
 * `eval: true` in Node, a Web Worker from a Blob URL in a browser (a nested worker when the CPU
 * backend itself runs in a worker).
 */
import type { HelperInit } from './worker-source.ts';

/** The worker-like object both runtimes give us: enough to start, stop and hear readiness. */
export interface Helper {
  terminate(): unknown;
  exited: Promise<void>;
}

export type Spawn = (source: string, init: HelperInit, onReady: () => void, onError: (e: unknown) => void) => Helper;

export function nodeSpawn(): Spawn | null {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const wt = proc?.getBuiltinModule?.('node:worker_threads') as typeof import('node:worker_threads') | undefined;
  if (!wt) return null;
  return (source, init, onReady, onError) => {
    const w = new wt.Worker(source, { eval: true, workerData: init });
    // Once started, a helper never keeps the process alive (a CLI or test that forgets dispose()
    // still exits); until then it does, so awaiting whenReady() works in a script's last lines.
    w.on('message', (m) => {
      if (m !== 'ready') return;
      w.unref();
      onReady();
    });
    w.on('error', (e) => {
      w.unref();
      onError(e);
    });
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    return { terminate: () => w.terminate(), exited };
  };
}

export function browserSpawn(): Spawn {
  let url: string | null = null;
  return (source, init, onReady, onError) => {
    url ??= URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
    const w = new Worker(url);
    let exit: () => void = () => {};
    const exited = new Promise<void>((resolve) => {
      exit = resolve;
    });
    w.onmessage = (e) => e.data === 'ready' && onReady();
    w.onerror = (e) => onError(e);
    w.postMessage(init);
    return {
      terminate: () => {
        w.terminate();
        exit();
      },
      exited,
    };
  };
}
