/** What each model family provides to the loader and to the training graph. */
import type { Node } from '../graph.ts';
import type { BuildContext, LinearSpec } from './layers.ts';

export interface Architecture {
  /** Every linear layer, for LoRA targeting and merging. */
  linears(): LinearSpec[];
  /** ids [B, T] (i32), keyMask [B, T] (1 = real token) -> final hidden states [B, T, D] (after the last norm). */
  hidden(ctx: BuildContext, ids: Node, keyMask: Node): Node;
  /** hidden [B, T, D] -> logits [B, T, V]. */
  logits(ctx: BuildContext, hidden: Node): Node;
}
