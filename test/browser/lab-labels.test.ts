/**
 * Labelling with the keyboard only: reach the Labels step from the pipeline navigation, judge
 * conditional and joint pairs with A / B / T / S / U, turn the labels into training pairs of the
 * spec (checked through its share link), and find them again after a reload (IndexedDB).
 */
import { expect, it } from 'vitest';
import { decodeShareLink } from '../../src/lab/share-link.ts';
import { labForFile, screenshotTop } from './lab-helpers.ts';

const lab = labForFile({ webgpu: false });

it('judges pairs with the keyboard alone; the labels become training pairs and survive a reload', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  const focused = () =>
    page.evaluate(() => ({
      text: document.activeElement?.textContent?.trim() ?? '',
      href: document.activeElement?.getAttribute('href') ?? '',
    }));
  const tabUntil = async (match: (el: { text: string; href: string }) => boolean, what: string) => {
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      if (match(await focused())) return;
    }
    throw new Error(`Tab never reached ${what}`);
  };

  await page.getByTestId('judge-card').waitFor();
  await tabUntil((el) => el.href === '#labels', 'the Labels step');
  await page.keyboard.press('Enter');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('labels');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('judge-card');

  const card = page.getByTestId('judge-card');
  const current = async () => ({
    key: await card.getAttribute('data-key'),
    kind: await card.getAttribute('data-kind'),
    a: (await page.locator('[data-testid="side-a"] .side-response').textContent()) ?? '',
    b: (await page.locator('[data-testid="side-b"] .side-response').textContent()) ?? '',
    instructions: await page.locator('.side-instruction').allTextContents(),
  });

  const first = await current();
  expect(first.kind).toBe('conditional');
  expect(first.instructions).toEqual([]);
  await page.keyboard.press('a');
  const second = await current();
  expect(second.key).not.toBe(first.key);
  // The queue alternates conditional and joint pairs; a joint pair shows both instructions.
  expect(second.kind).toBe('joint');
  expect(second.instructions.length).toBe(2);
  expect(second.instructions[0]).not.toBe(second.instructions[1]);
  await screenshotTop(tab, 'lab-labelling-joint');
  await page.keyboard.press('B');
  await page.keyboard.press('t');
  const fourth = await current();
  await page.keyboard.press('s');
  expect((await current()).key).not.toBe(fourth.key);
  await page.keyboard.press('u'); // takes the skip back
  expect((await current()).key).toBe(fourth.key);
  expect(await page.getByTestId('label-count').textContent()).toBe('2');
  expect(await page.getByTestId('label-summary').textContent()).toContain('1 tie, 0 skipped');

  await tabUntil((el) => el.text.startsWith('Add my 2 labels to the experiment'), 'the “Add my labels” button');
  await page.keyboard.press('Enter');
  // The summary sits in the folded Customise section: it is there, whether shown or not.
  await page.getByTestId('edits-summary').waitFor({ state: 'attached' });
  expect(await page.getByTestId('edits-summary').textContent()).toMatch(
    /2 extra labelled pairs \(1 conditional, 1 joint\)/,
  );
  await screenshotTop(tab, 'lab-labelling');

  // The spec now carries the two labels, winner first (read back through its share link).
  await page.getByRole('button', { name: 'Share link' }).click();
  const decoded = await decodeShareLink(await page.getByTestId('share-url').inputValue());
  if (!decoded.ok) throw new Error(decoded.error.message);
  const added = decoded.spec.data.edits.add;
  expect(added.length).toBe(2);
  expect(added[0]).toMatchObject({ r_chosen: first.a, r_reject: first.b });
  expect(added[0].i_chosen).toBe(added[0].i_reject);
  expect(added[1]).toMatchObject({
    r_chosen: second.b,
    i_chosen: second.instructions[1],
    r_reject: second.a,
    i_reject: second.instructions[0],
  });

  // Saved in IndexedDB: a reload resumes at the fourth pair with the same labels.
  await page.reload();
  await page.getByTestId('judge-card').waitFor();
  await expect.poll(() => page.getByTestId('label-count').textContent()).toBe('2');
  expect(await card.getAttribute('data-key')).toBe(fourth.key);
  expect(tab.errors).toEqual([]);
  await tab.close();
});
