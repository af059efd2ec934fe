/**
 * A forward program with side effects: like compileForward, but some nodes (the KV cache writes of
 * a decode graph) must run on every call without being read back, and some params (the caches)
 * are bound to tensors the caller owns instead of the model's ParamStore.
 */
import type { Backend, DeviceTensor, Program } from './backend.ts';
import { type Feeds, InputTensors } from './feeds.ts';
import type { Graph, Node } from './graph.ts';
import type { ParamStore } from './params.ts';
import { type PlannedView, materialize, plan, resolveView } from './plan.ts';
import { readViews } from './readback.ts';

export interface InferenceSession {
  /** Writes the feeds, runs once, and reads back the outputs (never the effects). */
  run(feeds: Feeds): Promise<Float32Array[]>;
  dispose(): void;
}

export function compileInference(
  graph: Graph,
  outputs: readonly Node[],
  effects: readonly Node[],
  backend: Backend,
  params: ParamStore,
  extraParams: ReadonlyMap<string, DeviceTensor>,
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
  const slotTensors = p.slots.map((s) => backend.alloc(s.numel, s.dtype));
  const program: Program = backend.compile(materialize(p, slotTensors));
  const outViews = outputs.map((o) => resolveView(p.views.get(o) as PlannedView, slotTensors));
  return {
    async run(feeds) {
      inputs.write(feeds);
      program.run();
      return readViews(backend, outViews);
    },
    dispose() {
      for (const t of slotTensors) backend.free(t);
      inputs.dispose();
    },
  };
}
