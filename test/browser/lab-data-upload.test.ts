/**
 * Your own data in the lab (issue 16): a picked or dropped file gets the same summary as
 * `orchard data inspect` (computed here in Node by the same import and summary code, as the CLI
 * does), problems and warnings by line; a good file's rows go into the experiment as data.rows.
 */
import { expect, it } from 'vitest';
import { importPreferences } from '../../src/data/import.ts';
import { summarize } from '../../src/data/summary.ts';
import { decodeShareLink } from '../../src/lab/share-link.ts';
import { labForFile } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });

const GOOD = [
  { i_chosen: 'List three fruits', r_chosen: 'Apple, Pear, Plum', i_reject: 'List three fruits', r_reject: 'Apple' },
  { i_chosen: 'List two colours', r_chosen: 'Red, Blue', i_reject: 'List two colours', r_reject: 'Red, Red' },
  { i_chosen: 'List two colours', r_chosen: 'Red, Blue', i_reject: 'List three fruits', r_reject: 'Sand, Sea' },
];
const GOOD_TEXT = `${GOOD.map((r) => JSON.stringify(r)).join('\n')}\n`;
const BAD_TEXT = [
  JSON.stringify(GOOD[0]),
  '{"i_chosen": "broken", ',
  JSON.stringify({ i_chosen: 'x', r_chosen: 'y', i_reject: 'x' }),
  JSON.stringify(GOOD[1]),
].join('\n');

async function inspect(text: string, name: string) {
  const result = await importPreferences(new Blob([text]), { fileName: name });
  return { result, summary: summarize(result) };
}

it('a valid file: the inspect summary, then its rows in the experiment', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  const { summary } = await inspect(GOOD_TEXT, 'good.jsonl');
  await page.locator('input[aria-label="Data file to inspect"]').setInputFiles({
    name: 'good.jsonl',
    mimeType: 'application/json',
    buffer: Buffer.from(GOOD_TEXT),
  });
  const report = page.getByTestId('data-summary');
  await report.waitFor();
  expect(await page.getByTestId('data-pairs').textContent()).toBe(
    `pairs: ${summary.pairs} (${summary.conditional} conditional: same instruction; ${summary.joint} joint: different instructions)`,
  );
  expect(summary).toMatchObject({ pairs: 3, conditional: 2, joint: 1 });
  const text = (await report.textContent()) ?? '';
  expect(text).toContain(`distinct instructions: ${summary.distinctInstructions}`);
  expect(text).toContain(`n = ${summary.promptLength?.count}`);
  expect(text).toContain('No problems.');
  const max = await page.locator('.data-lengths tbody tr').nth(1).locator('td').last().textContent();
  expect(Number(max)).toBe(summary.responseLength?.max);

  const specErrors = page.getByTestId('data-spec-errors');
  expect(await specErrors.count(), (await specErrors.allTextContents()).join()).toBe(0);
  expect(await page.getByTestId('data-use-note').textContent()).toContain('evaluation is judged by a person (you)');
  await page.getByTestId('use-data').click();
  await expect.poll(() => page.getByTestId('spec-origin').textContent()).toBe('data: good.jsonl');
  expect(await page.getByTestId('use-data').textContent()).toBe('In the experiment');
  await page.getByRole('button', { name: 'Share link' }).click();
  const decoded = await decodeShareLink(await page.getByTestId('share-url').inputValue());
  if (!decoded.ok) throw new Error(decoded.error.message);
  expect(decoded.spec.data).toMatchObject({ source: 'file', format: 'jpo', rows: GOOD });
  expect(decoded.spec.eval.judge).toBe('human');
  expect(await page.getByTestId('compare').isEnabled()).toBe(true);
  await tab.screenshot('lab-data-upload');
  expect(tab.errors).toEqual([]);
  await tab.close();
});

it('a malformed file, dropped: every problem by line, as inspect reports them; only good rows are offered', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  const { result } = await inspect(BAD_TEXT, 'bad.jsonl');
  expect(result.problems.length).toBe(2);
  const transfer = await page.evaluateHandle((text) => {
    const dt = new DataTransfer();
    dt.items.add(new File([text], 'bad.jsonl', { type: 'application/json' }));
    return dt;
  }, BAD_TEXT);
  await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: transfer });
  const problems = page.getByTestId('data-problems');
  await problems.waitFor();
  expect(await problems.locator('strong').textContent()).toBe('2 rows with a problem, left out:');
  expect(await problems.locator('li').allTextContents()).toEqual(
    result.problems.map((p) => `line ${p.line}: ${p.reason}`),
  );
  expect(result.problems.map((p) => p.line)).toEqual([2, 3]);
  expect(await page.getByTestId('data-pairs').textContent()).toContain('pairs: 2 ');
  expect(await page.getByTestId('use-data').textContent()).toBe('Use these 2 rows in the experiment');

  // A file with no usable row offers nothing to train on.
  await page.locator('input[aria-label="Data file to inspect"]').setInputFiles({
    name: 'worse.jsonl',
    mimeType: 'application/json',
    buffer: Buffer.from('{"nope": 1}\nnot json\n'),
  });
  await page.getByTestId('data-unusable').waitFor();
  expect(await page.getByTestId('use-data').count()).toBe(0);
  expect(tab.errors).toEqual([]);
  await tab.close();
});
