/** Embedding lookup and its scatter-add gradient: attributes, semantics and shape rules. */
import { check, type ShapeRules } from '../shape.ts';

export interface EmbeddingAttrs {
  /** table [V, D], ids [...] (i32) -> out [..., D]. */
  embedding: Record<string, never>;
  /** ids [...] (i32), g [..., D] -> out [vocab, D]: scatter-add of g rows into the ids' rows. */
  embedding_grad: { vocab: number };
}

export const embeddingShapes: ShapeRules<EmbeddingAttrs> = {
  embedding: ([table, ids]) => {
    check(table.shape.length === 2 && ids.dtype === 'i32', () => 'embedding: table [V,D] and i32 ids');
    return [...ids.shape, table.shape[1]];
  },
  embedding_grad: ([, g], { vocab }) => [vocab, g.shape[g.shape.length - 1]],
};
