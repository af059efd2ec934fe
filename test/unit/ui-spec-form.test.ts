/**
 * The experiment form's state changes, driven through the spec store exactly as the form's
 * controls drive it: picking cDPO trains with ε = 0.1, an emptied per-objective field goes back to
 * its objective's default, and the form shows what that default is.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_SPEC,
  type ExperimentSpec,
  effectiveRunParams,
  lossParamsOf,
  validateSpec,
} from '../../src/lab/spec.ts';
import { useSpecStore } from '../../src/state/spec-store.ts';
import {
  effectivePlaceholder,
  pairChoices,
  runParamsShown,
  setPairingMode,
  setRunObjective,
  writeField,
} from '../../src/ui/lib/spec-form.ts';

const draft = () => useSpecStore.getState().draft;
const edit = (fn: (d: ExperimentSpec) => void) => useSpecStore.getState().edit(fn);

beforeEach(() => {
  useSpecStore.getState().setDraft(DEFAULT_SPEC, 'defaults');
});

describe('the form state', () => {
  it('picking cDPO gives ε = 0.1, in the effective params and in the loss', () => {
    edit((d) => setRunObjective(d, 0, 'cdpo'));
    const run = draft().runs[0];
    expect(run.objective).toBe('cdpo');
    expect(effectiveRunParams(run).labelSmoothing).toBe(0.1);
    expect(lossParamsOf(run).labelSmoothing).toBe(0.1);
    expect(useSpecStore.getState().errors).toEqual([]);
    expect(effectivePlaceholder(draft(), 'runs[0].labelSmoothing')).toBe('0.1 (cDPO default)');
    expect(runParamsShown('cdpo')).toEqual(['beta', 'labelSmoothing']);
  });

  it('a v1 link stored ε 0 and β 0.1: picking cDPO or SimPO brings their own defaults, a chosen β stays', () => {
    const v1 = validateSpec({
      ...structuredClone(DEFAULT_SPEC),
      version: 1,
      reference: 'precomputed',
      runs: [
        {
          label: 'A',
          objective: 'dpo',
          pairs: 'conditional',
          beta: 0.1,
          labelSmoothing: 0,
          simpoGamma: 0.5,
          orpoLambda: 0.1,
        },
        {
          label: 'B',
          objective: 'dpo',
          pairs: 'conditional',
          beta: 0.3,
          labelSmoothing: 0,
          simpoGamma: 0.5,
          orpoLambda: 0.1,
        },
      ],
    });
    if (!v1.ok) throw new Error(JSON.stringify(v1.errors));
    useSpecStore.getState().setDraft(v1.spec, 'shared link');
    edit((d) => setRunObjective(d, 0, 'cdpo'));
    edit((d) => setRunObjective(d, 1, 'simpo'));
    expect(effectiveRunParams(draft().runs[0])).toMatchObject({ beta: 0.1, labelSmoothing: 0.1 });
    expect(effectiveRunParams(draft().runs[1])).toMatchObject({ beta: 0.3, simpoGamma: 0.5 });
    expect(effectivePlaceholder(draft(), 'runs[1].beta')).toBeUndefined(); // set: the input shows 0.3
  });

  it('an emptied field: optional -> the objective default, nullable -> null, required -> an error', () => {
    edit((d) => writeField(d, 'runs[1].beta', 0.5));
    expect(draft().runs[1].beta).toBe(0.5);
    edit((d) => writeField(d, 'runs[1].beta', null));
    expect('beta' in draft().runs[1]).toBe(false);
    expect(effectivePlaceholder(draft(), 'runs[1].beta')).toBe('0.1 (JPO default)');
    edit((d) => writeField(d, 'data.pairing.protocol', 'shared')); // "per-run" needs a number
    edit((d) => writeField(d, 'data.pairing.budget', null));
    expect(draft().data.pairing.budget).toBeNull();
    edit((d) => writeField(d, 'eval.temperature', null));
    expect(useSpecStore.getState().errors.map((e) => e.path)).toEqual(['eval.temperature']);
    edit((d) => writeField(d, 'eval.temperature', 0.7));
    expect(useSpecStore.getState().errors).toEqual([]);
  });

  it('SimPO shows β = 2 as its default; JPO runs follow the pairing mode; DPO is offered conditional pairs only', () => {
    edit((d) => setRunObjective(d, 0, 'simpo'));
    expect(effectivePlaceholder(draft(), 'runs[0].beta')).toBe('2 (SimPO default)');
    edit((d) => setPairingMode(d, 'joint'));
    expect(draft().runs[1].pairs).toBe('joint');
    expect(pairChoices('dpo')).toEqual(['conditional']);
    expect(pairChoices('jpo')).toEqual(['conditional', 'joint', 'both']);
    edit((d) => setRunObjective(d, 0, 'jpo'));
    expect(draft().runs[0].pairs).toBe('joint');
    expect(useSpecStore.getState().errors).toEqual([]);
  });
});
