/**
 * A forward program with side effects: like compileForward, but some nodes (the KV cache writes of
 * a decode graph) must run on every call without being read back, and some params (the caches)
 * are bound to tensors the caller owns instead of the model's ParamStore. Intermediates live in a
 * Workspace, so the prefill and decode programs of a Generator (never run at the same time) share them.
 */
import type { Backend, DeviceTensor, Program, TensorView } from './backend.ts';
import { type Feeds, InputTensors } from './feeds.ts';
import type { Graph, Node } from './graph.ts';
import type { ParamStore } from './params.ts';
import { materialize, type PlannedView, plan, resolveView } from './plan.ts';
import { readViews } from './readback.ts';
import type { Workspace } from './workspace.ts';

export interface InferenceSession {
  /** Writes the feeds, runs once, and reads back the outputs (never the effects). */
  run(feeds: Feeds): Promise<Float32Array[]>;
  dispose(): void;
}

export interface InferenceBindings {
  params: ParamStore;
  /** Params bound to caller-owned tensors (the KV caches), looked up before the store. */
  extraParams: ReadonlyMap<string, DeviceTensor>;
  workspace: Workspace;
}

export function compileInference(
  graph: Graph,
  outputs: readonly Node[],
  effects: readonly Node[],
  backend: Backend,
  { params, extraParams, workspace }: InferenceBindings,
): InferenceSession {
  const inputs = new InputTensors(backend, graph);
  const p = plan(graph, {
    outputs: [...outputs, ...effects],
    bind: (leaf) => {
      if (leaf.op === 'input') return inputs.tensorFor(leaf as Node<'input'>);
      const name = (leaf as Node<'param'>).attrs.name;
      return extraParams.get(name) ?? params.tensorFor(name, leaf.shape);
    },
  });
  type Compiled = { program: Program; outViews: TensorView[]; generation: number };
  let compiled: Compiled | undefined;
  // (Re)compiles against the workspace's current tensors: another session may have grown them.
  const current = (): Compiled => {
    if (!compiled || compiled.generation !== workspace.generation) {
      disposeProgram(compiled?.program);
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
    dispose() {
      disposeProgram(compiled?.program);
      inputs.dispose();
    },
  };
}

/** WebGPU programs own uniform buffers; the Backend interface does not promise a dispose. */
function disposeProgram(program: Program | undefined): void {
  (program as (Program & { dispose?: () => void }) | undefined)?.dispose?.();
}
