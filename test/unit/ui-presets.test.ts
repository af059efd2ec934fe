import { describe, expect, it } from 'vitest';
import { scoreApples } from '../../src/data/tasks/apples.ts';
import { parseViewFlags } from '../../src/lab/share-link.ts';
import { DEFAULT_SPEC, validateSpec } from '../../src/lab/spec.ts';
import { dpoVsJpo, LESSON_IDS, LESSONS, lessonById, PRESETS } from '../../src/ui/lib/presets.ts';

describe('presets and lessons', () => {
  it('are all valid specs with unique ids', () => {
    for (const p of [...PRESETS, ...LESSONS]) expect(validateSpec(p.spec).ok, p.id).toBe(true);
    const ids = [...PRESETS, ...LESSONS].map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('lesson ids are accepted by the teacher-mode URL flags', () => {
    for (const id of LESSON_IDS) {
      const { flags, warnings } = parseViewFlags(`?lesson=${id}&hide=optimizer`, { lessons: LESSON_IDS });
      expect(warnings).toEqual([]);
      expect(flags.lesson).toBe(id);
      expect(lessonById(id)?.id).toBe(id);
    }
  });

  it('JPO = DPO lesson trains both objectives on conditional pairs only', () => {
    const spec = lessonById('jpo-equals-dpo')?.spec;
    expect(spec?.data.pairing.mode).toBe('conditional');
    expect(spec?.runs.map((r) => [r.objective, r.pairs])).toEqual([
      ['dpo', 'conditional'],
      ['jpo', 'conditional'],
    ]);
  });

  it('the noisy-labels lesson adds pairs whose chosen answer really is worse (by the exact oracle)', () => {
    const add = lessonById('noisy-labels')?.spec.data.edits.add ?? [];
    expect(add.length).toBe(16);
    for (const row of add) {
      expect(row.i_chosen).toBe(row.i_reject);
      expect(scoreApples(row.i_chosen, row.r_chosen).score).toBeLessThan(scoreApples(row.i_reject, row.r_reject).score);
    }
  });

  it('dpoVsJpo keeps everything but the runs, and turns joint-only data into both', () => {
    const spec = structuredClone(DEFAULT_SPEC);
    spec.runs = [{ ...spec.runs[0], label: 'IPO', objective: 'ipo', beta: 0.3 }];
    spec.seed = 9;
    const c = dpoVsJpo(spec);
    expect(validateSpec(c).ok).toBe(true);
    expect(c.seed).toBe(9);
    expect(c.runs.map((r) => [r.label, r.objective, r.pairs, r.beta])).toEqual([
      ['DPO', 'dpo', 'conditional', 0.3],
      ['JPO', 'jpo', 'both', 0.3],
    ]);
    spec.data.pairing.mode = 'joint';
    spec.runs = [{ ...spec.runs[0], objective: 'jpo', pairs: 'joint' }];
    const j = dpoVsJpo(spec);
    expect(j.data.pairing.mode).toBe('both');
    expect(validateSpec(j).ok).toBe(true);
  });
});
