/**
 * The planner: turns the part of a graph needed for some outputs into a backend-agnostic list of
 * launches over buffers. Nodes run in id order (a topological order). Params and inputs live in
 * tensors the caller binds; "pinned" nodes are written into caller-given tensors (gradient
 * accumulators); every other value goes to a numbered slot. With reuse on, a slot whose values are
 * all dead is handed to the next node of the same dtype (best fit, growing a slot rather than
 * adding one), and elementwise ops may write over their dying input 0 in place. reshape never
 * launches: it views its input's buffer (unless pinned, then it is a copy).
 */
import type { DeviceTensor, Launch, TensorView } from './backend.ts';
import type { Graph, Node } from './graph.ts';
import { elementBytes } from './memory-accounting.ts';
import { type DType, fmtShape, numel, type OpKind, type Shape } from './ops.ts';

export type BufferRef = { readonly slot: number } | { readonly tensor: DeviceTensor };

export interface PlannedView {
  readonly ref: BufferRef;
  readonly shape: Shape;
  readonly dtype: DType;
}

export interface PlannedLaunch {
  readonly node: Node;
  readonly inputs: readonly PlannedView[];
  readonly output: PlannedView;
}

export interface Slot {
  numel: number;
  readonly dtype: DType;
}

export interface PlanRequest {
  /** Values wanted after the run; they stay alive (unclobbered) to the end. */
  readonly outputs: readonly Node[];
  /** The tensor of a param or input the outputs depend on (called once per leaf; may allocate). */
  readonly bind: (leaf: Node<'input'> | Node<'param'>) => DeviceTensor | undefined;
  /** Computed nodes to be written into these tensors (they also count as outputs). */
  readonly pinned?: ReadonlyMap<Node, DeviceTensor>;
  /** Reuse the slots of dead values (default true). */
  readonly reuse?: boolean;
  /** Let add/sub/mul/scale/unary overwrite a dying input 0 (default true; needs reuse). */
  readonly inPlace?: boolean;
}

export interface Plan {
  readonly launches: readonly PlannedLaunch[];
  readonly slots: readonly Slot[];
  /** Where each node of the plan lives; outputs and pinned nodes are valid after the run. */
  readonly views: ReadonlyMap<Node, PlannedView>;
}

export class PlanError extends Error {
  override name = 'PlanError';
}

const IN_PLACE_OPS: ReadonlySet<OpKind> = new Set<OpKind>(['add', 'sub', 'mul', 'scale', 'unary']);
/** Ops whose output is input 0's buffer by definition (ops.ts). */
const ALIAS_INPUT0_OPS: ReadonlySet<OpKind> = new Set<OpKind>(['cache_write']);

export function plan(graph: Graph, req: PlanRequest): Plan {
  const reuse = req.reuse ?? true;
  const inPlace = reuse && (req.inPlace ?? true);
  const pinned = req.pinned ?? new Map<Node, DeviceTensor>();
  const roots = [...req.outputs, ...pinned.keys()];
  for (const r of roots) {
    if (graph.nodes[r.id] !== r) throw new PlanError(`plan: node #${r.id} (${r.op}) is not in this graph`);
  }
  const order = neededNodes(roots);
  const pos = new Map(order.map((n, i) => [n, i]));

  // Last position at which each value is read; roots live to the end.
  const END = order.length;
  const lastUse = new Map<Node, number>();
  for (const n of order)
    for (const inp of n.inputs) lastUse.set(inp, Math.max(lastUse.get(inp) ?? -1, pos.get(n) as number));
  for (const r of roots) lastUse.set(r, END);

  const bindings = new Map<Node, DeviceTensor>();
  const slots: Slot[] = [];
  const free: number[] = [];
  const liveViews: Node[][] = []; // per slot: live nodes whose value sits in it
  const views = new Map<Node, PlannedView>();
  const launches: PlannedLaunch[] = [];
  const diesAt: Node[][] = order.map(() => []);

  const place = (n: Node, ref: BufferRef) => {
    views.set(n, { ref, shape: n.shape, dtype: n.dtype });
    if ('slot' in ref) {
      liveViews[ref.slot].push(n);
      const last = lastUse.get(n) as number;
      if (last < END) diesAt[last].push(n);
    }
  };

  const takeSlot = (n: Node): number => {
    const need = numel(n.shape);
    if (reuse) {
      let best = -1;
      for (const s of free) {
        if (slots[s].dtype !== n.dtype) continue;
        if (best < 0) best = s;
        else {
          const fitsS = slots[s].numel >= need;
          const fitsB = slots[best].numel >= need;
          // Prefer the smallest slot that fits; otherwise the largest one (grown to fit).
          if (
            (fitsS && (!fitsB || slots[s].numel < slots[best].numel)) ||
            (!fitsS && !fitsB && slots[s].numel > slots[best].numel)
          )
            best = s;
        }
      }
      if (best >= 0) {
        free.splice(free.indexOf(best), 1);
        slots[best].numel = Math.max(slots[best].numel, need);
        return best;
      }
    }
    slots.push({ numel: need, dtype: n.dtype });
    liveViews.push([]);
    return slots.length - 1;
  };

  const viewOf = (n: Node): PlannedView => {
    const v = views.get(n);
    if (!v) throw new PlanError(`internal: node #${n.id} (${n.op}) used before it was planned`);
    return v;
  };

  order.forEach((n, i) => {
    const target = pinned.get(n);
    if (n.op === 'input' || n.op === 'param') {
      const t = req.bind(n as Node<'input'> | Node<'param'>);
      const name = (n.attrs as { name: string }).name;
      if (!t)
        throw new PlanError(
          `plan: ${n.op} "${name}" ${fmtShape(n.shape)} has no tensor bound; bind every param and input the outputs need`,
        );
      bindings.set(n, t);
      if (target)
        throw new PlanError(`plan: ${n.op} "${name}" cannot be pinned; pin a computed node (e.g. a reshape of it)`);
      if (t.numel < numel(n.shape) || t.dtype !== n.dtype) {
        throw new PlanError(
          `plan: ${n.op} "${name}" ${fmtShape(n.shape)} ${n.dtype} is bound to a ${t.dtype} tensor of ${t.numel} elements`,
        );
      }
      place(n, { tensor: t });
    } else if (n.op === 'reshape' && !target) {
      place(n, viewOf(n.inputs[0]).ref);
    } else {
      const inputs = n.inputs.map(viewOf);
      let ref: BufferRef;
      if (target) {
        if (target.numel < numel(n.shape) || target.dtype !== n.dtype) {
          throw new PlanError(
            `plan: node #${n.id} (${n.op}) ${fmtShape(n.shape)} is pinned to a ${target.dtype} tensor of ${target.numel} elements`,
          );
        }
        ref = { tensor: target };
      } else if (ALIAS_INPUT0_OPS.has(n.op)) {
        ref = inputs[0].ref;
      } else {
        const s = inPlace && IN_PLACE_OPS.has(n.op) ? inPlaceSlot(n, i, inputs) : -1;
        ref = { slot: s >= 0 ? s : takeSlot(n) };
      }
      launches.push({ node: n, inputs, output: { ref, shape: n.shape, dtype: n.dtype } });
      place(n, ref);
    }
    for (const dead of diesAt[i]) {
      const ref = (views.get(dead) as PlannedView).ref as { slot: number };
      const live = liveViews[ref.slot];
      live.splice(live.indexOf(dead), 1);
      if (live.length === 0 && reuse) free.push(ref.slot);
    }
  });

  /** Input 0's slot when every value in it dies at this node and no other input reads it; else -1. */
  function inPlaceSlot(n: Node, i: number, inputs: PlannedView[]): number {
    const ref = inputs[0].ref;
    if (!('slot' in ref) || inputs[0].dtype !== n.dtype || numel(inputs[0].shape) !== numel(n.shape)) return -1;
    if (inputs.slice(1).some((v) => 'slot' in v.ref && v.ref.slot === ref.slot)) return -1;
    return liveViews[ref.slot].every((v) => lastUse.get(v) === i) ? ref.slot : -1;
  }

  checkPinnedHazards(order, pos, bindings, pinned);
  return { launches, slots, views };
}

/** Ancestors of the roots, in id order. */
function neededNodes(roots: readonly Node[]): Node[] {
  const seen = new Set<Node>();
  const stack = [...roots];
  while (stack.length) {
    const n = stack.pop() as Node;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...n.inputs);
  }
  return [...seen].sort((a, b) => a.id - b.id);
}

/** A pinned tensor that is also bound to a leaf must not be overwritten before that leaf's last reader. */
function checkPinnedHazards(
  order: readonly Node[],
  pos: ReadonlyMap<Node, number>,
  bindings: ReadonlyMap<Node, DeviceTensor>,
  pinned: ReadonlyMap<Node, DeviceTensor>,
): void {
  for (const [writer, t] of pinned) {
    const w = pos.get(writer) as number;
    for (const [leaf, bound] of bindings) {
      if (bound !== t || !pos.has(leaf)) continue;
      const late = order.find((n) => n.inputs.includes(leaf) && (pos.get(n) as number) > w);
      if (late) {
        throw new PlanError(
          `plan: node #${late.id} (${late.op}) reads a tensor after node #${writer.id} (${writer.op}) overwrote it`,
        );
      }
    }
  }
}

/** Rank of each slot among the slots of its dtype, largest first. */
export function sizeRanks(slots: readonly Slot[]): number[] {
  const ranks = new Array<number>(slots.length);
  const byDtype = new Map<DType, number[]>();
  slots.forEach((s, i) => {
    const list = byDtype.get(s.dtype) ?? [];
    list.push(i);
    byDtype.set(s.dtype, list);
  });
  for (const list of byDtype.values()) {
    list.sort((a, b) => slots[b].numel - slots[a].numel || a - b);
    list.forEach((slotIndex, rank) => {
      ranks[slotIndex] = rank;
    });
  }
  return ranks;
}

/** Bytes of a plan's slots (its intermediate memory). */
export function slotBytes(slots: readonly Slot[]): number {
  return elementBytes(slots);
}

/**
 * Several plans that never run at the same time can share slot tensors: each plan's k-th largest
 * slot of a dtype maps to shared slot k of that dtype, sized to the largest use.
 */
export function shareSlots(plans: readonly Plan[]): { slots: Slot[]; maps: number[][] } {
  const slots: Slot[] = [];
  const byDtype = new Map<DType, number[]>();
  const maps = plans.map((p) => {
    const ranks = sizeRanks(p.slots);
    return p.slots.map((s, i) => {
      const list = byDtype.get(s.dtype) ?? [];
      byDtype.set(s.dtype, list);
      while (list.length <= ranks[i]) {
        list.push(slots.length);
        slots.push({ numel: 0, dtype: s.dtype });
      }
      const shared = list[ranks[i]];
      slots[shared].numel = Math.max(slots[shared].numel, s.numel);
      return shared;
    });
  });
  return { slots, maps };
}

/** The concrete tensor view of a planned view, given the tensors of the plan's slots. */
export function resolveView(v: PlannedView, slotTensors: readonly DeviceTensor[]): TensorView {
  const tensor = 'slot' in v.ref ? slotTensors[v.ref.slot] : v.ref.tensor;
  return { tensor, shape: v.shape, dtype: v.dtype };
}

/** Launches for Backend.compile. `extra` (e.g. adamw updates) run after the plan's own launches. */
export function materialize(p: Plan, slotTensors: readonly DeviceTensor[], extra: readonly Launch[] = []): Launch[] {
  const launches = p.launches.map(
    (l): Launch => ({
      op: l.node.op,
      attrs: l.node.attrs,
      inputs: l.inputs.map((v) => resolveView(v, slotTensors)),
      output: resolveView(l.output, slotTensors),
    }),
  );
  return [...launches, ...extra];
}
