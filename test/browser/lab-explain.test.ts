/**
 * JPO explained in place (issue 16): the "What is being compared" panel shows DPO's conditional
 * and JPO's joint loss side by side, a conditional and a joint pair from the experiment's task
 * data (checked against the task's own candidates), the paper, and one line per objective; the
 * objective dropdown describes the objective picked.
 */
import { expect, it } from 'vitest';
import { OBJECTIVE_NAMES } from '../../src/lab/spec/objectives.ts';
import { DEFAULT_SPEC } from '../../src/lab/spec.ts';
import { trainCandidates } from '../../src/state/label-queue.ts';
import { labForFile, setField } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });

it('shows both losses, a conditional and a joint pair from the task data, the paper and every objective', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  const panel = page.getByTestId('what-is-compared');
  await panel.locator('summary').click();
  expect(await page.getByTestId('loss-dpo').textContent()).toContain('log πθ(yw|x)');
  expect(await page.getByTestId('loss-jpo').textContent()).toContain('log πθ(xw, yw)');
  expect(await page.getByTestId('loss-dpo').textContent()).toContain('Conditional log π(y|x)');
  expect(await page.getByTestId('loss-jpo').textContent()).toContain('Joint log π(x, y)');

  // The pairs come from the default experiment's task data: its seed's instructions and answers.
  const candidates = trainCandidates(DEFAULT_SPEC.seed, 2);
  const known = new Set(candidates.map((c) => `${c.instruction} → ${c.response}`));
  const sides = async (kind: string) =>
    (await page.locator(`[data-testid="example-${kind}"] p`).allTextContents()).map((t) =>
      t.replace(/^(better|worse) /, '').replace(/[“”"]/g, ''),
    );
  const conditional = await sides('conditional');
  const joint = await sides('joint');
  for (const side of [...conditional, ...joint]) expect(known.has(side), side).toBe(true);
  const instruction = (s: string) => s.split(' → ')[0];
  expect(instruction(conditional[0])).toBe(instruction(conditional[1]));
  expect(instruction(joint[0])).not.toBe(instruction(joint[1]));

  const paper = page.getByTestId('paper-link');
  expect(await paper.getAttribute('href')).toBe('https://arxiv.org/abs/2404.00530');
  expect(await paper.textContent()).toContain('Comparing Bad Apples to Good Oranges');
  expect(await panel.textContent()).toContain('Bansal et al.');
  expect(await panel.textContent()).toContain('Findings of ACL 2025');

  const listed = await page
    .locator('[data-testid="objective-lines"] [data-objective]')
    .evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-objective'), e.querySelector('dd')?.textContent?.length ?? 0] as const),
    );
  expect(listed.map(([name]) => name).sort()).toEqual([...OBJECTIVE_NAMES].sort());
  for (const [, length] of listed) expect(length).toBeGreaterThan(30);

  // The dropdown says what the picked objective does.
  for (const objective of ['ipo', 'simpo', 'jpo']) {
    await setField(page, 'runs[0].objective', objective);
    const hint = await page.locator('[data-path="runs[0].objective"] .field-hint').textContent();
    const line = await page.locator(`[data-objective="${objective}"] dd`).textContent();
    expect(hint).toBe(line);
  }
  await tab.screenshot('lab-what-is-compared');
  expect(tab.errors).toEqual([]);
  await tab.close();
});
