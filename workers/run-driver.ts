/**
 * Runs one experiment in the worker: picks the backend (WebGPU when the spec and the browser allow,
 * else the CPU), runs the pipeline (src/lab/pipeline/), forwards its events to the page in
 * throttled batches, and handles pause, resume and stop. Where the pipeline is (stage, run, step)
 * comes from its own state events; the driver only remembers the latest, for error reports.
 *
 * Checkpoints: the pipeline checkpoints each run every CHECKPOINT_EVERY steps into IndexedDB
 * (idb-checkpoint-store.ts, in memory when IndexedDB fails). A run that ends (done, failed, stopped)
 * deletes them; a run cut short by a reload or a killed worker leaves them, and starting the same
 * spec again continues from them (the page offers it: src/state/interrupted-run.ts).
 *
 * A person as the pairing or evaluation judge: person-judges.ts (stopping rejects the waits, and the
 * pipeline then ends as cancelled).
 *
 * GPU device loss: when the device is lost mid-run (a driver reset, or `debug-lose-device`), the experiment is
 * run again on the CPU with the same store, allowed to continue the GPU's checkpoints: finished stages
 * and runs are loaded, the run in progress continues from its last checkpoint (the pipeline
 * re-emits its restored metrics), and the page is told (run-backend).
 *
 * A run that diverges does not end the experiment: the other runs finish and are evaluated, their
 * adapters are sent, and run-finished reports 'failed' with the diverged run's message.
 */
import type { Winner } from '../src/data/judges/types.ts';
import type { Backend } from '../src/engine/backend.ts';
import type { WebGPUBackend } from '../src/engine/backends/webgpu/index.ts';
import { CpuBackend, chooseBackend, identifyAdapter } from '../src/engine/index.ts';
import { Checkpoints, checkpointNamespace } from '../src/lab/checkpoint.ts';
import type { PipelineEvent, Stage } from '../src/lab/events.ts';
import { CancelledError } from '../src/lab/pipeline/generation.ts';
import { type ExperimentResult, PauseController, runExperiment } from '../src/lab/pipeline/index.ts';
import { createResolvers } from '../src/lab/resolve.ts';
import type { ExperimentSpec } from '../src/lab/spec.ts';
import { type TokenMarginsAnswer, TokenMarginsKeeper } from '../src/lab/token-margins-keeper.ts';
import { Batcher } from './batcher.ts';
import { IdbCheckpointStore } from './idb-checkpoint-store.ts';
import { PersonJudges } from './person-judges.ts';
import {
  type AdapterExport,
  compactEvents,
  EVENT_BATCH_MS,
  type FromWorker,
  type RunErrorInfo,
  type Unversioned,
  withVersion,
} from './protocol.ts';

type Post = (msg: FromWorker, transfer?: Transferable[]) => void;

/** Optimizer steps between checkpoints: what a device loss can cost, against a readback per checkpoint. */
export const CHECKPOINT_EVERY = 5;

/** How long the pipeline may run before the worker reads its messages again. */
const YIELD_EVERY_MS = 30;

/** Resolves in a new task (after pending messages), without setTimeout's clamping. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(null);
  });
}

export class RunDriver {
  active = true;
  private readonly abort = new AbortController();
  private readonly pauser = new PauseController(this.abort.signal);
  private readonly checkpoints: IdbCheckpointStore;
  private readonly batcher: Batcher<PipelineEvent>;
  private gpuBackend: WebGPUBackend | null = null;
  private stage: Stage | null = null;
  private lastRun: string | null = null;
  private lastStep: number | null = null;
  private lastYield = 0;
  private readonly people: PersonJudges;
  /** The trained params at a few steps, kept after the run for the token view (token-margins). */
  private readonly snapshots = new TokenMarginsKeeper();

  constructor(
    readonly runId: string,
    private readonly spec: ExperimentSpec,
    private readonly post: Post,
    private readonly gpu: () => GPU | string,
  ) {
    this.batcher = new Batcher<PipelineEvent>({
      intervalMs: EVENT_BATCH_MS,
      flush: (events) => this.send({ type: 'run-events', runId, events: compactEvents(events) }),
    });
    this.checkpoints = new IdbCheckpointStore(checkpointNamespace(spec), (message) =>
      this.emit({ kind: 'log', level: 'warn', message }),
    );
    this.people = new PersonJudges(
      runId,
      spec,
      (msg) => this.send(msg),
      (message) => this.emit({ kind: 'log', level: 'warn', message }),
    );
  }

  async run(): Promise<void> {
    const started = performance.now();
    let outcome: 'done' | 'stopped' | 'failed' = 'done';
    let error: RunErrorInfo | null = null;
    try {
      const { backend, note } = await this.firstBackend();
      this.send({ type: 'run-started', runId: this.runId, backend: backend.name, note });
      const result = await this.runOn(backend);
      if (result.status === 'cancelled') outcome = 'stopped';
      else this.sendAdapters(result);
      const failed = result.status === 'completed' ? result.runs.find((r) => r.status === 'failed') : undefined;
      if (failed) {
        outcome = 'failed';
        const message = failed.error ?? `${failed.label} failed`;
        error = {
          stage: 'train',
          run: failed.label,
          step: failed.steps + 1,
          message,
          hint: hintFor(message, this.spec.model.source),
        };
      }
    } catch (err) {
      outcome = 'failed';
      error = this.errorInfo(err);
    }
    await this.deleteCheckpoints();
    this.batcher.drain();
    this.active = false;
    this.people.finish();
    this.send({ type: 'run-finished', runId: this.runId, outcome, error, elapsedMs: performance.now() - started });
  }

  pause(): void {
    if (this.pauser.paused || this.abort.signal.aborted) return;
    this.pauser.pause();
    this.batcher.drain();
    this.send({ type: 'run-state', runId: this.runId, state: 'paused' });
  }

  resume(): void {
    if (!this.pauser.paused) return;
    this.pauser.resume();
    this.batcher.sendNextAtOnce();
    this.send({ type: 'run-state', runId: this.runId, state: 'running' });
  }

  stop(): void {
    this.abort.abort();
    // The pipeline's judge wrapper rejects on abort too; this covers any wait outside pairing.
    this.people.abandon(new CancelledError());
  }

  /** A person's verdict from the page (person-judges.ts). */
  answer(comparison: string, winner: Winner): void {
    this.people.answer(comparison, winner);
  }

  /** A token-margins request: computed on the CPU (the run's GPU backend is gone by then). */
  async tokenMargins(
    run: string,
    pairFrom: string,
    pairIndex: number,
    step: number | null,
  ): Promise<TokenMarginsAnswer> {
    if (this.active) throw new Error('the token view is ready when the experiment has finished');
    const cpu = new CpuBackend();
    try {
      return await this.snapshots.margins(run, pairIndex, step, cpu, pairFrom);
    } finally {
      cpu.dispose();
    }
  }

  /** The run ended on purpose (not cut short by a reload): nothing is left to resume. */
  private async deleteCheckpoints(): Promise<void> {
    try {
      await this.checkpoints.clear();
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.emit({ kind: 'log', level: 'warn', message: `the run's checkpoints could not be deleted (${why})` });
    }
    this.checkpoints.close();
  }

  /** Destroys the GPU device, as a driver reset would (the run then continues on the CPU). */
  loseDevice(): void {
    if (!this.gpuBackend) throw new Error('this run is not on the GPU, so there is no device to lose');
    this.gpuBackend.device.destroy();
  }

  /** The backend the spec asks for, or the CPU with the reason when WebGPU cannot be had. */
  private async firstBackend(): Promise<{ backend: Backend; note: string | null }> {
    if (this.spec.backend === 'cpu') return { backend: new CpuBackend(), note: null };
    const gpu = this.gpu();
    const asked = this.spec.backend === 'webgpu' ? 'the experiment asks for WebGPU, but ' : '';
    // "auto" looks at the adapter before creating anything: a software one trains faster on the CPU.
    const decision = chooseBackend(this.spec.backend, typeof gpu === 'string' ? gpu : await identifyAdapter(gpu));
    if (decision.backend === 'cpu' || typeof gpu === 'string') {
      return { backend: new CpuBackend(), note: decision.reason };
    }
    try {
      const { createWebGPUBackend } = await import('../src/engine/backends/webgpu/index.ts');
      this.gpuBackend = await createWebGPUBackend(gpu);
      return { backend: this.gpuBackend, note: decision.reason };
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      return {
        backend: new CpuBackend(),
        note: `${asked}no WebGPU device could be created (${why}); training on the CPU`,
      };
    }
  }

  /** Runs the pipeline on `backend`; on a lost GPU device, again on the CPU from the checkpoints. */
  private async runOn(backend: Backend): Promise<ExperimentResult> {
    const gpu = backend.name === 'webgpu' ? (backend as WebGPUBackend) : null;
    let lost = false;
    void gpu?.lost.then(() => {
      lost = true;
    });
    try {
      return await this.pipeline(backend, []);
    } catch (err) {
      // The device's `lost` promise settles a moment after the failed call that noticed it.
      if (gpu && !lost) await Promise.race([gpu.lost, new Promise((r) => setTimeout(r, 200))]);
      if (!gpu || !lost) throw err;
      // Report the loss itself, not whichever call happened to fail because of it.
      return this.continueOnCpu(await gpu.lost);
    } finally {
      backend.dispose();
      if (gpu) this.gpuBackend = null;
    }
  }

  private async continueOnCpu(cause: unknown): Promise<ExperimentResult> {
    const run = this.lastRun;
    const saved = run ? await new Checkpoints(this.checkpoints, { backend: 'cpu' }).runProgress(run) : null;
    const step = saved?.step ?? null;
    const why =
      cause instanceof Error ? cause.message.replace(/\.? Create a new backend to continue\.?$/, '') : String(cause);
    const reason = `The GPU device was lost (${why})`;
    this.batcher.drain();
    this.send({
      type: 'run-backend',
      runId: this.runId,
      backend: 'cpu',
      reason,
      run,
      resumedFromStep: step ?? (run ? 0 : null),
    });
    this.emit({ kind: 'log', level: 'warn', message: `${reason}; continuing on the CPU from the last checkpoint` });
    const cpu = new CpuBackend();
    try {
      // The GPU's checkpoints go on here: the numbers continue on another backend, not bit-identically.
      return await this.pipeline(cpu, ['webgpu']);
    } finally {
      cpu.dispose();
    }
  }

  private pipeline(backend: Backend, adoptCheckpointsFrom: string[]): Promise<ExperimentResult> {
    return runExperiment(
      this.spec,
      {
        backend,
        resolvers: createResolvers(),
        checkpoints: this.checkpoints,
        adoptCheckpointsFrom,
        checkpointEvery: CHECKPOINT_EVERY,
        signal: this.abort.signal,
        gate: () => this.gate(),
        judges: this.people.judges(),
        snapshots: this.snapshots,
      },
      (e) => this.emit(e),
    );
  }

  /**
   * Awaited by the pipeline between units of work. Besides holding while paused, it lets the worker
   * read its messages (pause, stop, a lost-device drill): on the CPU backend every await of a step
   * resolves as a microtask, so without a real yield the message queue would wait for the whole run.
   */
  private async gate(): Promise<void> {
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      this.lastYield = performance.now();
    }
    await this.pauser.gate();
  }

  private sendAdapters(result: ExperimentResult): void {
    const adapters: AdapterExport[] = [];
    for (const run of result.runs) {
      if (run.status !== 'completed') continue;
      const config = run.files['adapter_config.json'];
      const weights = run.files['adapter_model.safetensors'];
      if (typeof config === 'string' && weights instanceof Uint8Array) {
        adapters.push({ run: run.label, config, safetensors: weights });
      }
    }
    if (adapters.length === 0) {
      this.emit({
        kind: 'log',
        level: 'info',
        message: 'no LoRA adapters to save (full fine-tuning): the run keeps its metrics only',
      });
      return;
    }
    this.batcher.drain();
    this.send({ type: 'run-adapters', runId: this.runId, adapters });
  }

  private emit(e: PipelineEvent): void {
    switch (e.kind) {
      case 'stage':
        this.stage = e.stage;
        break;
      case 'run-started':
        this.lastRun = e.run;
        this.lastStep = 0;
        break;
      case 'metrics':
        this.lastStep = e.step;
        break;
      case 'progress':
        // The person's "k of N": how many pairs pairing planned to ask about.
        if (e.stage === 'judge') this.people.planned(e.total);
        break;
    }
    this.batcher.push(e);
  }

  private errorInfo(err: unknown): RunErrorInfo {
    const message = err instanceof Error ? err.message : String(err);
    return {
      stage: this.stage,
      run: this.lastRun,
      step: this.lastStep,
      message,
      hint: hintFor(message, this.spec.model.source),
    };
  }

  private send(msg: Unversioned<FromWorker>, transfer: Transferable[] = []): void {
    this.post(withVersion<FromWorker>(msg), transfer);
  }
}

/** What the user can do about common failures. */
export function hintFor(message: string, modelSource?: ExperimentSpec['model']['source']): string | null {
  if (/out of memory|does not fit|DoesNotFit/i.test(message)) {
    return 'lower the batch size or the max tokens, or pick a smaller model';
  }
  if (/device (was )?lost|DeviceLost/i.test(message))
    return 'the GPU was reset; run again (the CPU backend always works)';
  if (/bundled model .* is missing|cannot load|Failed to fetch|NetworkError/i.test(message)) {
    // A Hub model is downloaded once and then cached in the browser: models/ plays no part.
    if (modelSource === 'hub') {
      return 'the Hugging Face Hub could not be reached; connect to the internet and run again (a Hub model is cached in this browser after its first download), or pick the bundled model';
    }
    return 'the model files could not be loaded; reload the page (an offline copy needs the files in models/)';
  }
  if (/NaN|not finite|diverged/i.test(message)) {
    return 'training diverged; lower the learning rate, enable gradient clipping, or use a smaller β';
  }
  return null;
}
