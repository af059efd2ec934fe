/**
 * The experiment being edited (the form's draft) and the teacher's view flags. The draft may hold
 * invalid values while the user types; `errors` is always validateSpec's verdict on it, and Run is
 * enabled only when it is empty.
 */
import { create } from 'zustand';
import type { ViewFlags } from '../lab/share-link.ts';
import { DEFAULT_SPEC, type ExperimentSpec, type SpecError, validateSpec } from '../lab/spec.ts';

export interface SpecState {
  draft: ExperimentSpec;
  errors: SpecError[];
  /** Where the draft came from, for the form's heading ("preset: Quick look", "shared link"...). */
  origin: string;
  view: ViewFlags;
  /** `?debug=1`: the developer drills (e.g. simulating a lost GPU) are shown; never in a share link. */
  debug: boolean;
  /** Whether the full experiment form ("Customise") is unfolded; the hero's one click needs none of it. */
  customiseOpen: boolean;
  setDraft: (spec: ExperimentSpec, origin: string) => void;
  /** Edits a copy of the draft (the store's objects are never mutated). */
  edit: (fn: (draft: ExperimentSpec) => void) => void;
  setView: (view: ViewFlags) => void;
  setDebug: (debug: boolean) => void;
  setCustomiseOpen: (open: boolean) => void;
}

function errorsOf(spec: ExperimentSpec): SpecError[] {
  const r = validateSpec(spec);
  return r.ok ? [] : r.errors;
}

export const useSpecStore = create<SpecState>()((set) => ({
  draft: structuredClone(DEFAULT_SPEC) as ExperimentSpec,
  errors: [],
  origin: 'defaults',
  view: { hide: [], lesson: null, readonly: false },
  debug: false,
  customiseOpen: false,
  setDraft: (spec, origin) => {
    const draft = structuredClone(spec);
    set({ draft, errors: errorsOf(draft), origin });
  },
  edit: (fn) =>
    set((s) => {
      const draft = structuredClone(s.draft);
      fn(draft);
      return { draft, errors: errorsOf(draft) };
    }),
  setView: (view) => set({ view }),
  setDebug: (debug) => set({ debug }),
  setCustomiseOpen: (customiseOpen) => set({ customiseOpen }),
}));

/** The draft as a valid spec, or null while it has errors. */
export function validDraft(): ExperimentSpec | null {
  const r = validateSpec(useSpecStore.getState().draft);
  return r.ok ? r.spec : null;
}
