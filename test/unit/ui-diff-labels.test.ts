import { describe, expect, it } from 'vitest';
import { DEFAULT_SPEC, type ExperimentSpec, validateSpec, withDefaults } from '../../src/lab/spec.ts';
import { diffLabels, formatNumber } from '../../src/ui/lib/diff-labels.ts';

function spec(edit: (s: ExperimentSpec) => void): ExperimentSpec {
  const s = structuredClone(DEFAULT_SPEC) as ExperimentSpec;
  edit(s);
  const checked = validateSpec(s);
  if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
  return checked.spec;
}

describe('diffLabels', () => {
  it('is empty for equal specs and ignores the name', () => {
    expect(
      diffLabels(
        DEFAULT_SPEC,
        spec(() => {}),
      ),
    ).toEqual([]);
    expect(
      diffLabels(
        DEFAULT_SPEC,
        spec((s) => (s.name = 'another name')),
      ),
    ).toEqual([]);
  });

  it('shows a change made to every run once, with both numbers', () => {
    const b = spec((s) => {
      for (const r of s.runs) r.beta = 0.5;
    });
    expect(diffLabels(DEFAULT_SPEC, b)).toEqual(['β 0.1 → 0.5']);
  });

  it('shows an unset β as its objective default, and a change of objective alone as one label', () => {
    const b = spec((s) => {
      s.runs[0].beta = 0.5;
    });
    expect(diffLabels(DEFAULT_SPEC, b)).toEqual(['DPO: β 0.1 → 0.5']);
    expect(diffLabels(b, DEFAULT_SPEC)).toEqual(['DPO: β 0.5 → 0.1']);
    const same = spec((s) => {
      s.runs[0].beta = 0.1;
    });
    expect(diffLabels(DEFAULT_SPEC, same)).toEqual([]);
  });

  it('names the run when only one run changed, and shows choices by their new value', () => {
    const b = spec((s) => {
      s.runs[1].objective = 'dpo';
      s.runs[1].pairs = 'conditional';
    });
    expect(diffLabels(DEFAULT_SPEC, b)).toEqual(['JPO: objective dpo', 'JPO: pairs conditional']);
  });

  it('describes top-level fields, toggles and lists in plain words', () => {
    const b = spec((s) => {
      s.optimizer.lr = 5e-5;
      s.lora.enabled = false;
      s.schedule.kind = 'linear';
      s.lora.targetModules = ['q', 'v'];
      s.seed = 7;
    });
    expect(diffLabels(DEFAULT_SPEC, b)).toEqual([
      'seed 42 → 7',
      'lr 5e-4 → 5e-5',
      'schedule linear',
      'LoRA off',
      'LoRA on q,v',
    ]);
  });

  it('names fields by the schema short names the saved-runs table uses', () => {
    const b = spec((s) => {
      if (s.data.source === 'task') s.data.nInstructions = 6;
      s.optimizer.weightDecay = 0.05;
      s.gradAccumulation = 2;
      s.eval.nTest = 2;
      s.eval.topP = 0.9;
    });
    expect(diffLabels(DEFAULT_SPEC, b)).toEqual([
      'instructions 48 → 6',
      'weight decay 0 → 0.05',
      'grad accum 1 → 2',
      'eval items 32 → 2',
      'top-p 1 → 0.9',
    ]);
  });

  it('counts labelled pairs added through data edits instead of listing them', () => {
    const row = {
      i_chosen: 'List two fruits',
      r_chosen: 'Apple, Pear',
      i_reject: 'List two fruits',
      r_reject: 'Dog, Cat',
    };
    const b = spec((s) => {
      s.data.edits.add = [row, { ...row, r_reject: 'Car' }, { ...row, r_reject: 'Bus' }];
    });
    expect(diffLabels(DEFAULT_SPEC, b)).toEqual(['+3 labelled pairs']);
    expect(diffLabels(b, DEFAULT_SPEC)).toEqual(['-3 labelled pairs']);
  });

  it('reports added and removed runs', () => {
    const three = validateSpec(
      withDefaults({ runs: [{ objective: 'dpo' }, { objective: 'jpo' }, { objective: 'ipo' }] }),
    );
    if (!three.ok) throw new Error('bad spec');
    expect(diffLabels(DEFAULT_SPEC, three.spec)).toEqual(['+ run IPO']);
    expect(diffLabels(three.spec, DEFAULT_SPEC)).toEqual(['− run IPO']);
  });

  it('formats numbers short and exact', () => {
    expect(formatNumber(0.1)).toBe('0.1');
    expect(formatNumber(5e-5)).toBe('5e-5');
    expect(formatNumber(1.5e-4)).toBe('1.5e-4');
    expect(formatNumber(60)).toBe('60');
    expect(formatNumber(1 / 3)).toBe('0.3333');
  });
});
