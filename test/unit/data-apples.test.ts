import { describe, expect, it } from 'vitest';
import { applesOracle } from '../../src/data/judges/oracle.ts';
import {
  allSpecs,
  flawedAnswers,
  heldOutItems,
  heldOutSplits,
  parseInstruction,
  parseList,
  referenceAnswer,
  renderInstruction,
  scoreApples,
  scoreSpec,
  splitSpecs,
  testSpecs,
  VALIDATION_SIZE,
  validationSpecs,
} from '../../src/data/tasks/apples.ts';
import { appleCandidates } from '../../src/data/tasks/apples-candidates.ts';
import { CATEGORIES, ITEM_CATEGORY } from '../../src/data/tasks/apples-lexicon.ts';
import { loadTokenizer } from '../../src/data/tokenizer.ts';
import { Rng } from '../../src/engine/random.ts';
import { APPLES_SPLIT, applesEvalItems } from '../../src/lab/pipeline/task-data.ts';

describe("the paper's two examples (jpo.md)", () => {
  const judge = applesOracle();

  it('conditional: B does not mention Apple', async () => {
    const instruction = 'Create a list of four fruits other than Apple';
    const a = { instruction, response: 'Apple, Orange, Banana, Grape' };
    const b = { instruction, response: 'Orange, Blueberry, Kiwi, Banana' };
    const v = await judge.compare(a, b);
    expect(v.winner).toBe('b');
    // (2 * 4/4 + count + no repeats + 0 for the exclusion) / 5 against 5/5.
    expect(v.scores).toEqual([4 / 5, 1]);
    expect(v.reason).toBe('A mentions Apple; B meets every constraint');
    expect((await judge.compare(b, a)).winner).toBe('a');
  });

  it('joint: X lists fruits, Y does not list beach activities', async () => {
    const x = { instruction: 'Create a list of four fruits', response: 'Apple, Orange, Banana, Grape' };
    const y = { instruction: 'Create a list of beach activities', response: "wear sunscreen, don't litter" };
    const v = await judge.compare(x, y);
    expect(v.winner).toBe('a');
    // Y: no count asked; (2 * 0/2 + no repeats) / 3.
    expect(v.scores).toEqual([1, 1 / 3]);
    expect(v.reason).toBe("A meets every constraint; B wear sunscreen, don't litter are not beach activities");
  });
});

describe('scoring hand-written cases', () => {
  const cases: [string, string, number, string[]][] = [
    ['List three colours', 'Red, Blue, Green', 1, []],
    ['List three colours', 'Red, Blue', 3 / 4, ['lists 2 items, asked for 3']],
    ['List three colours', 'Red, Blue, Carrot', (2 * (2 / 3) + 2) / 4, ['Carrot is not a colour']],
    ['List three colours', 'Red, red, Blue', 3 / 4, ['repeats red']],
    ['Name two animals in alphabetical order', 'Zebra, Cat', 4 / 5, ['not in alphabetical order']],
    ['Name two animals in alphabetical order', 'cat, Zebra.', 1, []],
    ['Give me 2 tools other than Saw', '1. Saw\n2. Hammer', 4 / 5, ['mentions Saw']],
    ['List four countries', 'Peru, Chile and Kenya, and Nepal', 1, []],
    ['List two fruits', '', 0, ['lists nothing']],
    [
      'Create a list of five vegetables other than Kale in alphabetical order',
      'Kale, Carrot, Owl, Owl',
      (2 * (2 / 4) + 0 + 0 + 0 + 0) / 6,
      [
        'Owl is not a vegetable',
        'lists 4 items, asked for 5',
        'repeats Owl',
        'mentions Kale',
        'not in alphabetical order',
      ],
    ],
    ['List two beach activities', 'surfing, an owl', 3 / 4, ['an owl is not a beach activity']],
  ];
  for (const [instruction, response, score, reasons] of cases) {
    it(`${instruction} / ${JSON.stringify(response)}`, () => {
      const s = scoreApples(instruction, response);
      expect(s.score).toBeCloseTo(score, 12);
      expect(s.reasons).toEqual(reasons);
    });
  }

  it('rejects text that is not a task instruction', () => {
    expect(parseInstruction('Write a poem about the sea')).toBeNull();
    expect(() => scoreApples('Write a poem', 'x')).toThrow(/not an Apples & Oranges instruction/);
  });

  it('parses what it renders, for every spec', () => {
    for (const spec of allSpecs()) expect(parseInstruction(renderInstruction(spec))).toEqual(spec);
    expect(parseList(' - Kiwi;Fig and  Pear. ')).toEqual(['Kiwi', 'Fig', 'Pear']);
  });
});

describe('generator', () => {
  it('has 15-25 unique items per category, each in one category', () => {
    for (const c of CATEGORIES) {
      expect(c.items.length).toBeGreaterThanOrEqual(15);
      expect(c.items.length).toBeLessThanOrEqual(25);
      for (const item of c.items) expect(ITEM_CATEGORY.get(item.toLowerCase())).toBe(c);
    }
  });

  it('splits instructions into disjoint train and test sets, the same for the same seed', () => {
    const a = splitSpecs(3);
    const texts = (xs: typeof a.train) => xs.map(renderInstruction);
    const train = new Set(texts(a.train));
    expect(train.size).toBe(a.train.length);
    for (const t of texts(a.test)) expect(train.has(t)).toBe(false);
    expect(a.train.length + a.test.length).toBe(allSpecs().length);
    expect(texts(splitSpecs(3).test)).toEqual(texts(a.test));
    expect(texts(splitSpecs(4).test)).not.toEqual(texts(a.test));
  });

  it('writes correct references and flawed answers that break exactly the named constraint', () => {
    const rng = new Rng(11);
    const expected: Record<string, RegExp> = {
      'wrong-count': /^lists \d items?, asked for \d$/,
      'includes-excluded': /^mentions /,
      'wrong-category-item': / is not an? /,
      duplicate: /^repeats /,
      unsorted: /^not in alphabetical order$/,
      'other-category': / are not /,
    };
    for (const spec of allSpecs().filter((_, k) => k % 7 === 0)) {
      expect(scoreSpec(spec, referenceAnswer(spec, rng))).toEqual({ score: 1, reasons: [] });
      const flawed = flawedAnswers(spec, rng);
      expect(flawed.some((f) => f.flaw === 'unsorted')).toBe(spec.sorted);
      expect(flawed.some((f) => f.flaw === 'includes-excluded')).toBe(spec.exclude !== null);
      for (const f of flawed) {
        const s = scoreSpec(spec, f.response);
        expect(s.score, `${renderInstruction(spec)} / ${f.response}`).toBeLessThan(1);
        expect(s.reasons, f.flaw).toHaveLength(1);
        expect(s.reasons[0]).toMatch(expected[f.flaw]);
      }
    }
  });

  it('keeps answers short for a tiny model (<= 40 GPT-2 tokens) and is deterministic', async () => {
    const tok = await loadTokenizer({ dir: '../shared/data/tokenizers/gpt2' });
    const cands = appleCandidates({ seed: 5, nInstructions: 200 });
    expect(appleCandidates({ seed: 5, nInstructions: 200 })).toEqual(cands);
    let longest = 0;
    for (const c of cands) longest = Math.max(longest, tok.encode(` ${c.response}`).length);
    expect(longest).toBeLessThanOrEqual(40);
    const test = new Set(appleCandidates({ seed: 5, nInstructions: 1000, split: 'test' }).map((c) => c.instruction));
    for (const c of cands) expect(test.has(c.instruction)).toBe(false);
  });
});

describe('validation and test splits of the held-out instructions', () => {
  const texts = (xs: ReturnType<typeof allSpecs>) => xs.map(renderInstruction);

  it('never overlap, cover the held-out instructions, and leave the old held-out list unchanged', () => {
    const { validation, test } = heldOutSplits(1, 0.2);
    const heldOut = splitSpecs(1, 0.2).test;
    expect([validation.length, test.length]).toEqual([VALIDATION_SIZE, heldOut.length - VALIDATION_SIZE]);
    expect(test.length).toBe(147);
    const v = new Set(texts(validation));
    expect(v.size).toBe(validation.length);
    for (const t of texts(test)) expect(v.has(t)).toBe(false);
    // Validation then test is exactly the held-out list version-1 specs evaluate (its first nTest items).
    expect(texts([...validation, ...test])).toEqual(texts(heldOut));
    // Neither touches the training instructions.
    const train = new Set(texts(splitSpecs(1, 0.2).train));
    for (const t of [...v, ...texts(test)]) expect(train.has(t)).toBe(false);
  });

  it('are deterministic, one function each, and change with the split seed', () => {
    expect(texts(validationSpecs(1))).toEqual(texts(heldOutSplits(1).validation));
    expect(texts(testSpecs(1))).toEqual(texts(heldOutSplits(1).test));
    expect(texts(testSpecs(1))).toEqual(texts(testSpecs(1)));
    expect(texts(testSpecs(2))).not.toEqual(texts(testSpecs(1)));
    expect(testSpecs(1, 0.2, 200)).toHaveLength(75);
  });

  it("gives held-out items with gold answers: 'held-out' is the pipeline's eval list, the splits cut it", () => {
    const o = { ...APPLES_SPLIT, goldSeed: 7 };
    const all = heldOutItems('held-out', o);
    // The pipeline's held-out function (gold seed 7), unchanged, is the same list item for item.
    expect(applesEvalItems(all.length)).toEqual(all);
    const validation = heldOutItems('validation', o);
    const test = heldOutItems('test', o);
    expect([...validation, ...test]).toEqual(all);
    expect(test.map((t) => t.instruction)).toEqual(texts(testSpecs(1, 0.2)));
    for (const item of test) expect(scoreApples(item.instruction, item.gold).score).toBe(1);
    expect(() => heldOutItems('train' as never, o)).toThrow(/split must be "validation", "test" or "held-out"/);
  });

  it('says what is wrong with a validation size the split cannot hold', () => {
    expect(() => heldOutSplits(1, 0.2, 300)).toThrow(/nValidation must be a whole number from 0 to 275/);
    expect(() => heldOutSplits(1, 0.2, 1.5)).toThrow(/got 1.5/);
  });
});
