/**
 * Input tensors of a compiled session and the checks on what callers feed into them. Each graph
 * input the session needs gets one dedicated device tensor, allocated when the planner binds it.
 */
import { LOSS_SEED_INPUT } from './autodiff.ts';
import type { Backend, DeviceTensor } from './backend.ts';
import type { Graph, Node } from './graph.ts';
import { fmtShape, numel, type Shape } from './ops.ts';

export type Feeds = Record<string, Float32Array | Int32Array>;

export class InputTensors {
  private readonly tensors = new Map<string, { node: Node<'input'>; tensor: DeviceTensor }>();
  private seedIsOnes = false;

  constructor(
    private readonly backend: Backend,
    private readonly graph: Graph,
  ) {}

  /** The tensor of a graph input, allocated on first use. */
  tensorFor(node: Node<'input'>): DeviceTensor {
    const name = node.attrs.name;
    let e = this.tensors.get(name);
    if (!e) {
      e = { node, tensor: this.backend.alloc(numel(node.shape), node.dtype) };
      this.tensors.set(name, e);
    }
    return e.tensor;
  }

  /** Writes the feeds. Every needed input must be fed, except the loss seed (ones by default). */
  write(feeds: Feeds): void {
    const declared = new Set(this.graph.inputs().map((n) => n.attrs.name));
    for (const name of Object.keys(feeds)) {
      if (!declared.has(name)) {
        throw new Error(
          `feeds: "${name}" is not an input of this graph (inputs: ${[...declared].filter((n) => !n.startsWith('__')).join(', ')})`,
        );
      }
    }
    const missing = [...this.tensors.keys()].filter((n) => n !== LOSS_SEED_INPUT && !(n in feeds));
    if (missing.length) throw new Error(`feeds: missing input(s) ${missing.join(', ')}`);
    for (const [name, { node, tensor }] of this.tensors) {
      const data = feeds[name];
      if (name === LOSS_SEED_INPUT) {
        if (data) {
          this.writeChecked(node, tensor, data);
          this.seedIsOnes = false;
        } else if (!this.seedIsOnes) {
          this.backend.write(tensor, new Float32Array(numel(node.shape)).fill(1));
          this.seedIsOnes = true;
        }
      } else if (data) {
        this.writeChecked(node, tensor, data);
      }
    }
  }

  /** Shapes of the inputs bound so far (for memory accounting). */
  shapes(): Shape[] {
    return [...this.tensors.values()].map(({ node }) => node.shape);
  }

  dispose(): void {
    for (const { tensor } of this.tensors.values()) this.backend.free(tensor);
    this.tensors.clear();
  }

  private writeChecked(node: Node<'input'>, tensor: DeviceTensor, data: Float32Array | Int32Array): void {
    const name = node.attrs.name;
    const want = node.dtype === 'f32' ? Float32Array : Int32Array;
    if (!(data instanceof want)) {
      throw new Error(
        `feeds: "${name}" is ${node.dtype} ${fmtShape(node.shape)}; pass a ${want.name}, not ${data?.constructor?.name}`,
      );
    }
    if (data.length !== numel(node.shape)) {
      throw new Error(
        `feeds: "${name}" needs ${numel(node.shape)} values for ${fmtShape(node.shape)}, got ${data.length}`,
      );
    }
    this.backend.write(tensor, data);
  }
}
