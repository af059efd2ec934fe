/**
 * A forward program with side effects, for generation: some nodes (the KV-cache writes of a decode
 * graph) must run on every call without being read back, and some params (the caches) are bound
 * to tensors the caller owns instead of the model's ParamStore. Intermediates live in a Workspace,
 * so the prefill and decode programs of a Generator (never run at the same time) share them.
 */
import type { Backend, DeviceTensor } from './backend.ts';
import { compileForward, type ForwardSession } from './forward.ts';
import type { Graph, Node } from './graph.ts';
import type { ParamStore } from './params.ts';
import type { Workspace } from './workspace.ts';

/** Writes the feeds, runs once, and reads back the outputs (never the effects). */
export type InferenceSession = Pick<ForwardSession, 'run' | 'dispose'>;

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
  return compileForward(graph, outputs, backend, params, { effects, extraParams, workspace });
}
