/**
 * Text generation with a KV cache, on any backend (CPU or WebGPU, through the Backend interface).
 *
 *   const gen = new Generator(model, params);                       // params: the model's ParamStore
 *   const r = await gen.generate([promptIds, otherPromptIds], {
 *     maxNewTokens: 32, stopIds: [tok.eosId], temperature: 0.7, topP: 0.9, seed: 1,
 *   });
 *   r.tokens[b];                                                    // new ids of prompt b
 *   gen.dispose();
 *
 * How: the prompts are right-padded into one [B, T] prefill run that also fills every layer's
 * K/V cache [B, Hkv, Tmax, hd] (models/decode.ts), then one decode step per new token (Tq = 1, each
 * row at its own position). After every step the [B, V] next-token logits are read back and the
 * tokens chosen on the host (sampling.ts), so generation stops as soon as every row has stopped.
 * Compiled programs and caches are kept for the last few (B, Tmax) shapes until dispose().
 *
 * Randomness: row b samples from its own Rng, seeded by `seed[b]` when `seed` is an array, else by
 * a value derived from (seed, b). So a batch gives each row exactly what generating it alone with
 * that row's seed gives (greedy needs no seed).
 */
import type { DeviceTensor } from './backend.ts';
import { Graph, type Node } from './graph.ts';
import { compileInference, type InferenceSession } from './inference-session.ts';
import { buildDecodeGraph, buildPrefillGraph, DECODE_INPUTS, kvCacheName } from './models/decode.ts';
import type { BuildOptions, LoadedModel } from './models/index.ts';
import type { ParamStore } from './params.ts';
import { Rng } from './random.ts';
import { checkSamplingOptions, chooseToken, type SamplingOptions } from './sampling.ts';
import { Workspace } from './workspace.ts';

export interface GenerateOptions extends SamplingOptions {
  /** Upper bound on new tokens per prompt. */
  maxNewTokens: number;
  /** Ids that end a row (kept as its last new token), e.g. [tokenizer.eosId]. */
  stopIds?: readonly (number | null)[];
  /** One seed for the batch (each row derives its own), or one seed per row. Default 0. */
  seed?: number | readonly number[];
  /** Fed for prompt padding and for rows that already stopped (any valid id; default 0). */
  padId?: number;
  /** Also return the logits each new token was chosen from. */
  returnLogits?: boolean;
}

export type FinishReason = 'stop' | 'length';

export interface GenerateResult {
  /** New token ids of each prompt, the stop id included when one ended the row. */
  tokens: number[][];
  /** 'stop': a stop id; 'length': maxNewTokens or the model's context ran out. */
  finish: FinishReason[];
  /** With returnLogits: logits[b][s] holds the vocabulary logits new token s of row b was chosen from. */
  logits?: Float32Array[][];
}

export interface GeneratorOptions {
  /** LoRA adapters etc., exactly as the training graph was built (see models/layers.ts). */
  build?: BuildOptions;
  /** (batch size, cache length) shapes whose caches and programs stay allocated (default 2). */
  maxCachedShapes?: number;
}

/** Smallest power of two >= n (at least `min`). */
function pow2(n: number, min: number): number {
  let p = min;
  while (p < n) p *= 2;
  return p;
}

/** Row b's seed when the batch has one seed: a fixed mix of (seed, b). */
export function rowSeed(seed: number, row: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(row + 1, 0x85ebca6b)) >>> 0;
}

export class Generator {
  private readonly shapes = new Map<string, ShapeEntry>();
  private readonly workspace: Workspace;
  private disposed = false;

  constructor(
    readonly model: LoadedModel,
    readonly params: ParamStore,
    private readonly options: GeneratorOptions = {},
  ) {
    this.workspace = new Workspace(params.backend);
  }

  async generate(prompts: readonly (readonly number[])[], opts: GenerateOptions): Promise<GenerateResult> {
    if (this.disposed) throw new Error('Generator.generate: the generator was disposed');
    const c = this.model.config;
    checkSamplingOptions(opts);
    const B = prompts.length;
    if (B === 0) return { tokens: [], finish: [], logits: opts.returnLogits ? [] : undefined };
    if (!(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens >= 1)) {
      throw new Error(`generate: maxNewTokens must be an integer >= 1, got ${opts.maxNewTokens}`);
    }
    const lengths = prompts.map((p) => p.length);
    prompts.forEach((p, b) => {
      if (p.length === 0) throw new Error(`generate: prompt ${b} is empty; start it with the BOS id at least`);
      if (p.length >= c.maxPositions) {
        throw new Error(
          `generate: prompt ${b} has ${p.length} tokens; the model's context is ${c.maxPositions}, leave room to generate`,
        );
      }
      for (const id of p) {
        if (!(Number.isInteger(id) && id >= 0 && id < c.vocabSize)) {
          throw new Error(`generate: prompt ${b} has token id ${id}, outside the vocabulary [0, ${c.vocabSize})`);
        }
      }
    });
    const seeds = rowSeeds(opts.seed, B);
    const rngs = seeds.map((s) => new Rng(s));
    const stop = new Set(opts.stopIds?.filter((x): x is number => x !== null && x !== undefined));
    const padId = opts.padId ?? 0;
    const maxLen = Math.max(...lengths);
    const T = Math.min(pow2(maxLen, 8), c.maxPositions);
    const Tmax = Math.min(pow2(maxLen + opts.maxNewTokens, T), c.maxPositions);
    const V = c.vocabSize;

    const tokens: number[][] = prompts.map(() => []);
    const logitsOut: Float32Array[][] | undefined = opts.returnLogits ? prompts.map(() => []) : undefined;
    const finish: (FinishReason | null)[] = prompts.map(() => null);
    const next = (row: number, logits: Float32Array) => {
      const id = chooseToken(logits, opts, rngs[row], row * V, V);
      tokens[row].push(id);
      logitsOut?.[row].push(logits.slice(row * V, (row + 1) * V));
      if (stop.has(id)) finish[row] = 'stop';
      else if (tokens[row].length >= opts.maxNewTokens) finish[row] = 'length';
      // The token just chosen must be written at slot length + generated - 1 before it can be extended.
      else if (lengths[row] + tokens[row].length - 1 >= Tmax) finish[row] = 'length';
    };

    const [prefillLogits] = await this.prefill(B, T, Tmax).run(prefillFeeds(prompts, T, padId));
    for (let b = 0; b < B; b++) next(b, prefillLogits);

    const decode = this.decode(B, Tmax);
    const ids = new Int32Array(B);
    const pos = new Int32Array(B);
    const keyMask = new Float32Array(B * Tmax);
    while (finish.some((f) => f === null)) {
      for (let b = 0; b < B; b++) {
        const active = finish[b] === null;
        // A stopped row keeps rewriting its last slot with padding: harmless, and its output is ignored.
        ids[b] = active ? tokens[b][tokens[b].length - 1] : padId;
        pos[b] = Math.min(lengths[b] + tokens[b].length - 1, Tmax - 1);
        keyMask.fill(0, b * Tmax, (b + 1) * Tmax);
        keyMask.fill(1, b * Tmax, b * Tmax + pos[b] + 1);
      }
      const [logits] = await decode.run({
        [DECODE_INPUTS.ids]: ids,
        [DECODE_INPUTS.pos]: pos,
        [DECODE_INPUTS.keyMask]: keyMask,
      });
      for (let b = 0; b < B; b++) if (finish[b] === null) next(b, logits);
    }
    return { tokens, finish: finish as FinishReason[], logits: logitsOut };
  }

  /** Frees the compiled programs and caches (the model's params are the caller's). */
  dispose(): void {
    for (const key of [...this.shapes.keys()]) this.evict(key);
    this.workspace.dispose();
    this.disposed = true;
  }

  private prefill(B: number, T: number, Tmax: number): InferenceSession {
    return this.session(B, Tmax, `prefill:${T}`, (g) =>
      buildPrefillGraph(g, this.model, T, { B, Tmax, build: this.options.build }),
    );
  }

  private decode(B: number, Tmax: number): InferenceSession {
    return this.session(B, Tmax, 'decode', (g) =>
      buildDecodeGraph(g, this.model, { B, Tmax, build: this.options.build }),
    );
  }

  private session(
    B: number,
    Tmax: number,
    kind: string,
    build: (g: Graph) => { logits: Node; effects: Node[] },
  ): InferenceSession {
    const shape = this.shape(B, Tmax);
    let s = shape.sessions.get(kind);
    if (!s) {
      const g = new Graph();
      const { logits, effects } = build(g);
      s = compileInference(g, [logits], effects, this.params.backend, {
        params: this.params,
        extraParams: shape.caches,
        workspace: this.workspace,
      });
      shape.sessions.set(kind, s);
    }
    return s;
  }

  /**
   * The K/V caches of one (B, Tmax) and the programs bound to them, most recently used last. Only
   * a few shapes are kept (caches of a large model are big); the least recently used goes first.
   */
  private shape(B: number, Tmax: number): ShapeEntry {
    const key = `${B}:${Tmax}`;
    let entry = this.shapes.get(key);
    if (entry) {
      this.shapes.delete(key);
    } else {
      const keep = Math.max(1, this.options.maxCachedShapes ?? 2);
      while (this.shapes.size >= keep) this.evict(this.shapes.keys().next().value as string);
      const c = this.model.config;
      const n = B * c.numKvHeads * Tmax * c.headDim;
      entry = { caches: new Map(), sessions: new Map() };
      for (let layer = 0; layer < c.numLayers; layer++) {
        for (const kind of ['k', 'v'] as const)
          entry.caches.set(kvCacheName(layer, kind), this.params.backend.alloc(n, 'f32'));
      }
    }
    this.shapes.set(key, entry);
    return entry;
  }

  private evict(key: string): void {
    const entry = this.shapes.get(key);
    if (!entry) return;
    for (const s of entry.sessions.values()) s.dispose();
    for (const t of entry.caches.values()) this.params.backend.free(t);
    this.shapes.delete(key);
  }
}

interface ShapeEntry {
  caches: Map<string, DeviceTensor>;
  /** 'decode' and 'prefill:T' programs compiled against these caches. */
  sessions: Map<string, InferenceSession>;
}

/** One-shot generation: compiles, generates, frees. Keep a Generator to generate repeatedly. */
export async function generate(
  model: LoadedModel,
  params: ParamStore,
  prompts: readonly (readonly number[])[],
  opts: GenerateOptions & GeneratorOptions,
): Promise<GenerateResult> {
  const gen = new Generator(model, params, { build: opts.build });
  try {
    return await gen.generate(prompts, opts);
  } finally {
    gen.dispose();
  }
}

function rowSeeds(seed: GenerateOptions['seed'], B: number): number[] {
  if (Array.isArray(seed)) {
    if (seed.length !== B)
      throw new Error(`generate: ${seed.length} seeds for ${B} prompts; pass one per prompt or a single number`);
    return [...seed];
  }
  const s = (seed as number | undefined) ?? 0;
  return Array.from({ length: B }, (_, b) => rowSeed(s, b));
}

function prefillFeeds(prompts: readonly (readonly number[])[], T: number, padId: number) {
  const B = prompts.length;
  const ids = new Int32Array(B * T).fill(padId);
  const keyMask = new Float32Array(B * T);
  const lastSelect = new Float32Array(B * T);
  prompts.forEach((p, b) => {
    ids.set(p, b * T);
    keyMask.fill(1, b * T, b * T + p.length);
    lastSelect[b * T + p.length - 1] = 1;
  });
  return {
    [DECODE_INPUTS.ids]: ids,
    [DECODE_INPUTS.keyMask]: keyMask,
    [DECODE_INPUTS.pos]: new Int32Array(B),
    [DECODE_INPUTS.lastSelect]: lastSelect,
  };
}
