/**
 * Which training pair the token view shows: the pairs its list offers, a pair number typed by the
 * user, and the short preview of a pair. Any pair can be shown (the worker computes one pair's
 * margins on demand from the kept snapshots, so nothing per pair is stored); the list only keeps
 * the picker short: the first few pairs of each kind, every pair the spec added by hand
 * (data.edits.add, e.g. the noisy-labels lesson's wrong labels, which the run's pool may list
 * anywhere), the last few, and the pair shown. The number field reaches every other pair.
 */
import type { PairKind } from '../data/pairing.ts';
import { isConditional, type PreferenceRow } from '../data/types.ts';

/** Pairs of each kind the list offers from the start of a run's pairs, and from its end. */
export const PAIRS_PER_KIND = 4;

/** A pair the list offers: its index in the run's training pairs, kind, instruction, and whether the spec added it. */
export interface PairOption {
  index: number;
  kind: PairKind;
  instruction: string;
  /** One of data.edits.add (a pair written by hand, not judged). */
  added: boolean;
}

function pairKind(p: PreferenceRow): PairKind {
  return isConditional(p) ? 'conditional' : 'joint';
}

/** The text that identifies a pair (the same four strings: the same pair). */
function pairKey(p: PreferenceRow): string {
  return JSON.stringify([p.i_chosen, p.r_chosen, p.i_reject, p.r_reject]);
}

/**
 * The list's pairs, by index: the first and the last PAIRS_PER_KIND of each kind, every added pair
 * (`added`: the spec's data.edits.add, at most 64 by the schema) and `selected` (so the list always
 * shows the pair on screen).
 */
export function pairOptions(
  pairs: readonly PreferenceRow[],
  o: { selected?: number; added?: readonly PreferenceRow[] } = {},
): PairOption[] {
  const addedKeys = new Set((o.added ?? []).map(pairKey));
  const kinds = pairs.map(pairKind);
  const wanted = new Set<number>();
  for (const kind of ['conditional', 'joint'] as const) {
    const ofKind = kinds.flatMap((k, i) => (k === kind ? [i] : []));
    for (const i of [...ofKind.slice(0, PAIRS_PER_KIND), ...ofKind.slice(-PAIRS_PER_KIND)]) wanted.add(i);
  }
  const isAdded = pairs.map((p) => addedKeys.has(pairKey(p)));
  for (const [i, a] of isAdded.entries()) if (a) wanted.add(i);
  if (o.selected !== undefined && o.selected >= 0 && o.selected < pairs.length) wanted.add(o.selected);
  return [...wanted]
    .sort((a, b) => a - b)
    .map((index) => ({ index, kind: kinds[index], instruction: pairs[index].i_chosen, added: isAdded[index] }));
}

export type PairNumber = { ok: true; index: number } | { ok: false; message: string };

/** A pair number as typed (1-based, as the view shows them) into the pair's index, or why not. */
export function parsePairNumber(text: string, pairCount: number): PairNumber {
  const fix = pairCount > 0 ? `type a pair number from 1 to ${pairCount}` : 'this run has no training pairs';
  const t = text.trim();
  const n = /^\d+$/.test(t) ? Number(t) : Number.NaN;
  if (!Number.isInteger(n) || n < 1 || n > pairCount) {
    return { ok: false, message: `Pair ${t === '' ? '(empty)' : `"${t}"`} does not exist: ${fix}` };
  }
  return { ok: true, index: n - 1 };
}

export interface PairPreview {
  kind: PairKind;
  /** The instruction, or both of a joint pair ("A / B"). */
  instruction: string;
  chosen: string;
  rejected: string;
}

/** `text` cut to at most `max` characters, an ellipsis marking the cut. */
export function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A pair in a few words: its kind, instruction(s) and both answers, each cut to `max` characters. */
export function pairPreview(p: PreferenceRow, max = 80): PairPreview {
  const cut = (s: string) => clipText(s, max);
  const kind = pairKind(p);
  const instruction = kind === 'conditional' ? cut(p.i_chosen) : `${cut(p.i_chosen)} / ${cut(p.i_reject)}`;
  return { kind, instruction, chosen: cut(p.r_chosen), rejected: cut(p.r_reject) };
}
