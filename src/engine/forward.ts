/**
 * compileForward: a graph's forward pass compiled once, run many times with new feeds. It also
 * serves inference programs with side effects (inference-session.ts): nodes that must run on
 * every call without being read back, and params bound to caller-owned tensors.
 */
import type { Backend, DeviceTensor, Program, TensorView } from './backend.ts';
import { type Feeds, InputTensors } from './feeds.ts';
import type { Graph, Node } from './graph.ts';
import { shapeBytes } from './memory-accounting.ts';
import type { ParamStore } from './params.ts';
import { materialize, type Plan, type PlannedView, plan, resolveView, slotBytes } from './plan.ts';
import { readViews } from './readback.ts';
import { Workspace } from './workspace.ts';

export type { Feeds } from './feeds.ts';

export interface CompileOptions {
  /** Reuse dead intermediates' tensors (default true). */
  reuse?: boolean;
  /** Let elementwise ops overwrite a dying input in place (default true). */
  inPlace?: boolean;
  /** Intermediate tensors shared with other sessions that never run concurrently (workspace.ts). */
  workspace?: Workspace;
}

export interface ForwardOptions extends CompileOptions {
  /** Nodes computed on every run but never read back (the KV-cache writes of a decode graph). */
  effects?: readonly Node[];
  /** Params bound to caller-owned tensors (the KV caches), looked up before the ParamStore. */
  extraParams?: ReadonlyMap<string, DeviceTensor>;
}

export interface ForwardSession {
  /** Writes the feeds (keyed by input name), runs, and reads back `outputs` in order. */
  run(feeds: Feeds): Promise<Float32Array[]>;
  /** Kernel launches per run, and the device bytes this session owns (params excluded). */
  readonly stats: { launches: number; intermediateBytes: number; inputBytes: number; tensors: number };
  dispose(): void;
}

export function compileForward(
  graph: Graph,
  outputs: readonly Node[],
  backend: Backend,
  params: ParamStore,
  opts: ForwardOptions = {},
): ForwardSession {
  for (const o of outputs) {
    if (o.dtype !== 'f32')
      throw new Error(`compileForward: output #${o.id} (${o.op}) is ${o.dtype}; only f32 outputs can be read`);
  }
  const inputs = new InputTensors(backend, graph);
  const p: Plan = plan(graph, {
    outputs: [...outputs, ...(opts.effects ?? [])],
    bind: (leaf) => {
      if (leaf.op === 'input') return inputs.tensorFor(leaf as Node<'input'>);
      const name = (leaf as Node<'param'>).attrs.name;
      return opts.extraParams?.get(name) ?? params.tensorFor(name, leaf.shape);
    },
    reuse: opts.reuse,
    inPlace: opts.inPlace,
  });
  const workspace = opts.workspace ?? new Workspace(backend);
  let compiled: { program: Program; outViews: TensorView[]; generation: number } | undefined;
  // (Re)compiles against the workspace's current tensors; another session may have grown them.
  const current = () => {
    if (!compiled || compiled.generation !== workspace.generation) {
      compiled?.program.dispose();
      const slotTensors = workspace.tensorsFor(p.slots);
      const program = backend.compile(materialize(p, slotTensors));
      const outViews = outputs.map((o) => resolveView(p.views.get(o) as PlannedView, slotTensors));
      compiled = { program, outViews, generation: workspace.generation };
    }
    return compiled;
  };
  current();
  return {
    async run(feeds) {
      const { program, outViews } = current();
      inputs.write(feeds);
      program.run();
      return readViews(backend, outViews);
    },
    stats: {
      launches: p.launches.length,
      intermediateBytes: slotBytes(p.slots),
      inputBytes: shapeBytes(inputs.shapes()),
      tensors: p.slots.length,
    },
    dispose() {
      compiled?.program.dispose();
      compiled = undefined;
      if (!opts.workspace) workspace.dispose();
      inputs.dispose();
    },
  };
}
