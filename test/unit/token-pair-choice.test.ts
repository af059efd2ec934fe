/**
 * The token view's pair choice (src/lab/token-pair-choice.ts): the short list it offers (first and
 * last few of each kind, every pair the spec added by hand, the pair shown), the pair number a
 * user types, and the preview; then, through a real run's snapshots, that any pair (the last ones,
 * those added by data.edits.add) is answered on demand, as the pair it names.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { PreferenceRow } from '../../src/data/types.ts';
import { CpuBackend } from '../../src/engine/index.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { withDefaults } from '../../src/lab/spec.ts';
import { TokenMarginsKeeper } from '../../src/lab/token-margins-keeper.ts';
import { PAIRS_PER_KIND, pairOptions, pairPreview, parsePairNumber } from '../../src/lab/token-pair-choice.ts';
import { ROOT, smallSpec } from './small-experiment.ts';

const cond = (k: number): PreferenceRow => ({
  i_chosen: `q${k}`,
  r_chosen: `a${k}`,
  i_reject: `q${k}`,
  r_reject: `b${k}`,
});
const joint = (k: number): PreferenceRow => ({
  i_chosen: `q${k}`,
  r_chosen: `a${k}`,
  i_reject: `p${k}`,
  r_reject: `b${k}`,
});

describe('pairOptions', () => {
  // 20 conditional pairs (indices 0..19), then 10 joint (20..29), as a run's pool lists them.
  const pairs = [
    ...Array.from({ length: 20 }, (_, k) => cond(k)),
    ...Array.from({ length: 10 }, (_, k) => joint(20 + k)),
  ];

  it('offers the first and last few of each kind, in index order', () => {
    expect(PAIRS_PER_KIND).toBe(4);
    const got = pairOptions(pairs);
    expect(got.map((o) => o.index)).toEqual([0, 1, 2, 3, 16, 17, 18, 19, 20, 21, 22, 23, 26, 27, 28, 29]);
    expect(got.map((o) => o.kind)).toEqual([...Array(8).fill('conditional'), ...Array(8).fill('joint')]);
    expect(got[4]).toEqual({ index: 16, kind: 'conditional', instruction: 'q16', added: false });
  });

  it('adds every pair the spec added by hand, wherever it is, and the pair shown', () => {
    // Pairs 9 and 10 were added (data.edits.add), equal by their four texts, not by object identity.
    const got = pairOptions(pairs, { added: [cond(9), { ...cond(10) }], selected: 12 });
    expect(got.filter((o) => o.added).map((o) => o.index)).toEqual([9, 10]);
    expect(got.map((o) => o.index)).toEqual([0, 1, 2, 3, 9, 10, 12, 16, 17, 18, 19, 20, 21, 22, 23, 26, 27, 28, 29]);
    // An added pair that is not among the run's pairs marks nothing; an out-of-range selection adds nothing.
    expect(pairOptions(pairs, { added: [cond(99)], selected: 30 })).toEqual(pairOptions(pairs));
  });

  it('lists a short run whole, each pair once', () => {
    const few = [cond(0), joint(1), cond(2)];
    expect(pairOptions(few).map((o) => [o.index, o.kind])).toEqual([
      [0, 'conditional'],
      [1, 'joint'],
      [2, 'conditional'],
    ]);
    expect(pairOptions([])).toEqual([]);
  });
});

describe('parsePairNumber', () => {
  it('takes the 1-based number the view shows and gives the index', () => {
    expect(parsePairNumber('1', 30)).toEqual({ ok: true, index: 0 });
    expect(parsePairNumber(' 30 ', 30)).toEqual({ ok: true, index: 29 });
  });

  it('refuses what is not a pair, saying the range', () => {
    for (const bad of ['0', '31', '', 'abc', '1.5', '-2', '1e1']) {
      const r = parsePairNumber(bad, 30);
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.message).toMatch(/type a pair number from 1 to 30/);
    }
    const none = parsePairNumber('1', 0);
    expect(!none.ok && none.message).toMatch(/no training pairs/);
  });
});

describe('pairPreview', () => {
  it('shows a conditional pair with one instruction and a joint pair with both, answers cut', () => {
    expect(pairPreview(cond(3))).toEqual({ kind: 'conditional', instruction: 'q3', chosen: 'a3', rejected: 'b3' });
    expect(pairPreview(joint(4)).instruction).toBe('q4 / p4');
    const long = { ...cond(5), r_chosen: 'x'.repeat(200) };
    expect(pairPreview(long, 10).chosen).toBe(`${'x'.repeat(9)}…`);
  });
});

describe('any pair through a run’s snapshots', () => {
  const added: PreferenceRow[] = [
    { i_chosen: 'Name 2 apples.', r_chosen: 'Fuji, Gala', i_reject: 'Name 2 apples.', r_reject: 'Gala' },
    { i_chosen: 'Name 1 apple.', r_chosen: 'Fuji', i_reject: 'Name 1 apple.', r_reject: 'Fuji, Gala, Braeburn' },
  ];
  const keeper = new TokenMarginsKeeper();
  const backend = new CpuBackend();

  beforeAll(async () => {
    const spec = withDefaults(
      smallSpec({
        name: 'pair choice',
        seed: 4,
        steps: 2,
        backend: 'cpu',
        data: {
          nInstructions: 24,
          candidatesPerInstruction: 4,
          pairing: { budget: 96 },
          edits: { add: added, remove: [] as number[] },
        },
        eval: { nTest: 1, maxNewTokens: 4 },
      }),
    );
    const result = await runExperiment(spec, {
      backend,
      resolvers: await nodeResolvers({ root: ROOT }),
      samples: 0,
      snapshots: keeper,
    });
    expect(result.status).toBe('completed');
  }, 180_000);

  it('answers the last pair and the added pairs, listing every added one', async () => {
    const pairs = keeper.pairs('JPO');
    expect(pairs.length).toBeGreaterThan(4 * PAIRS_PER_KIND + added.length);
    const addedAt = added.map((a) => pairs.findIndex((p) => JSON.stringify(p) === JSON.stringify(a)));
    expect(addedAt.every((i) => i >= 0)).toBe(true);
    for (const index of [...addedAt, pairs.length - 1]) {
      const answer = await keeper.margins('JPO', index, null, backend);
      expect(answer.pairIndex).toBe(index);
      expect(answer.pair).toEqual(pairs[index]);
      // The margins are that pair's: its tokens decode back to its texts.
      const text = answer.margins.chosen.tokens.map((t) => t.text).join('');
      expect(text).toContain(pairs[index].r_chosen);
      expect(answer.pairOptions.some((o) => o.index === index)).toBe(true);
      expect(answer.pairOptions.filter((o) => o.added).map((o) => o.index)).toEqual([...addedAt].sort((a, b) => a - b));
    }
    // A pair beyond the list is answered too (the list is only the picker's shortcut).
    const listed = new Set((await keeper.margins('JPO', 0, null, backend)).pairOptions.map((o) => o.index));
    const unlisted = pairs.findIndex((_, i) => !listed.has(i));
    expect(unlisted).toBeGreaterThanOrEqual(0);
    expect((await keeper.margins('JPO', unlisted, null, backend)).pair).toEqual(pairs[unlisted]);
  }, 60_000);
});
