/**
 * Share links, teacher mode and form validation in the built app: a corrupt or hostile link shows
 * an error banner and the lab keeps working with the defaults; a good link restores the spec; a spec
 * too large for a link is offered as a file; teacher flags hide and lock controls; bad values are
 * explained next to their fields.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeShareLink, encodeShareLink } from '../../src/lab/share-link.ts';
import { DEFAULT_SPEC, type ExperimentSpec, validateSpec, withDefaults } from '../../src/lab/spec.ts';
import { runToBundle, type SavedRun } from '../../src/state/run-bundle.ts';
import { chartPoints, inNewTab, labForFile, screenshotTop, setField } from './lab-helpers.ts';

const lab = labForFile();

function rawLink(json: string): string {
  return `#v1.${deflateRawSync(Buffer.from(json)).toString('base64url')}`;
}

describe('share links', () => {
  const hostile: [string, string, RegExp][] = [
    ['not a link', '#hello-there', /not an Orchard experiment link/],
    ['truncated data', '#v1.q1YqSk3PTEnNU7JSMjI0MjJQqgUA', /damaged|not valid|not JSON/],
    ['bad characters', '#v1.<script>alert(1)</script>', /damaged/],
    ['prototype pollution', rawLink('{"version":1,"__proto__":{"polluted":true}}'), /forbidden field name/],
    ['a newer format', '#v9.AAAA', /newer Orchard/],
    ['a zip bomb', rawLink(`{"version":1,"name":"${'a'.repeat(400_000)}"}`), /refusing to open/],
  ];

  for (const [what, fragment, message] of hostile) {
    it(`${what}: shows an error banner and keeps the default experiment`, () =>
      inNewTab(lab(), `/${fragment}`, async (tab) => {
        const { page } = tab;
        const banner = page.locator('[data-notice="share-link"]');
        await banner.waitFor({ timeout: 20_000 });
        expect(await banner.getAttribute('role')).toBe('alert');
        expect(await banner.textContent()).toMatch(message);
        expect(await page.locator('[data-path="name"] input').inputValue()).toBe(DEFAULT_SPEC.name);
        expect(await page.locator('[data-testid="spec-origin"]').textContent()).toBe('defaults');
        expect(await page.evaluate(() => (({}) as Record<string, unknown>).polluted)).toBeUndefined();
        // Still usable: the form validates and the main action is enabled.
        expect(await page.getByTestId('compare').isEnabled()).toBe(true);
        if (what === 'prototype pollution') await screenshotTop(tab, 'lab-corrupt-link');
      }));
  }

  it('restores every field of a valid link, and shares the same spec back', async () => {
    const spec = validateSpec(
      withDefaults({
        name: 'Shared β sweep',
        seed: 7,
        runs: [
          { objective: 'dpo', beta: 0.25 },
          { objective: 'jpo', beta: 0.5 },
        ],
      }),
    );
    if (!spec.ok) throw new Error('bad test spec');
    const link = await encodeShareLink(spec.spec);
    await inNewTab(lab(), `/${link.fragment}`, async (tab) => {
      const { page } = tab;
      await page.locator('[data-notice="share-link-ok"]').waitFor({ timeout: 20_000 });
      expect(await page.locator('[data-testid="spec-origin"]').textContent()).toBe('shared link');
      expect(await page.locator('[data-path="name"] input').inputValue()).toBe('Shared β sweep');
      expect(await page.locator('[data-path="seed"] input').inputValue()).toBe('7');
      expect(await page.locator('[data-path="runs[0].beta"] input').inputValue()).toBe('0.25');
      expect(await page.locator('[data-path="runs[1].beta"] input').inputValue()).toBe('0.5');
      // The share box re-encodes the same spec (the bytes may differ: each deflate implementation has its own output).
      await page.getByRole('button', { name: 'Share link' }).click();
      const again = await decodeShareLink(await page.getByTestId('share-url').inputValue());
      expect(again.ok && again.spec).toEqual(spec.spec);
    });
  });

  it('offers a file download instead of a link past the size cap', () =>
    inNewTab(lab(), '/', async (tab) => {
      const { page } = tab;
      // Incompressible text in 40 added pairs: far more than a link may carry.
      let x = 12345;
      const noise = () =>
        Array.from({ length: 600 }, () => {
          x = (x * 1103515245 + 12345) % 2 ** 31;
          return String.fromCharCode(97 + (x % 26));
        }).join('');
      const big: ExperimentSpec = structuredClone(DEFAULT_SPEC) as ExperimentSpec;
      big.name = 'Too big for a link';
      big.data.edits.add = Array.from({ length: 40 }, () => ({
        i_chosen: noise(),
        r_chosen: noise(),
        i_reject: noise(),
        r_reject: noise(),
      }));
      await page.locator('input[aria-label="Spec file to open"]').setInputFiles({
        name: 'big.json',
        mimeType: 'application/json',
        buffer: Buffer.from(JSON.stringify(big)),
      });
      await expect.poll(() => page.locator('[data-path="name"] input').inputValue()).toBe('Too big for a link');
      await page.getByRole('button', { name: 'Share link' }).click();
      await page.getByTestId('share-too-large').waitFor();
      expect(await page.getByTestId('share-url').count()).toBe(0);
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('button', { name: 'Download spec file' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe('too-big-for-a-link.orchard-spec.json');
    }));
});

describe('form validation', () => {
  it('explains a bad value next to its field and disables Run until it is fixed', () =>
    inNewTab(lab(), '/', async (tab) => {
      const { page } = tab;
      await setField(page, 'runs[1].beta', '-1');
      const field = page.locator('[data-path="runs[1].beta"]');
      expect(await field.locator('.field-error').textContent()).toMatch(/must be a number > 0/);
      expect(await field.locator('input').getAttribute('aria-invalid')).toBe('true');
      expect(await page.getByTestId('compare').isDisabled()).toBe(true);
      expect(await page.getByTestId('form-errors').textContent()).toContain('runs[1].beta');
      await screenshotTop(tab, 'lab-form-error');
      await setField(page, 'runs[1].beta', '0.3');
      expect(await field.locator('.field-error').count()).toBe(0);
      expect(await page.getByTestId('compare').isEnabled()).toBe(true);
    }));
});

describe('teacher mode', () => {
  it('opens a lesson with sections hidden and the settings locked', () =>
    inNewTab(lab(), '/?lesson=beta-too-low&hide=optimizer,lora,data&readonly=1', async (tab) => {
      const { page } = tab;
      await page.getByTestId('lesson-banner').waitFor();
      expect(await page.getByTestId('lesson-banner').textContent()).toContain('β too low');
      expect(await page.locator('[data-path="runs[0].beta"] input').inputValue()).toBe('0.01');
      expect(await page.locator('[data-path="runs[0].beta"] input').isDisabled()).toBe(true);
      expect(await page.locator('[data-path="optimizer.lr"]').count()).toBe(0);
      expect(await page.locator('[data-path="lora.r"]').count()).toBe(0);
      expect(await page.locator('#data').count()).toBe(0);
      expect(await page.getByTestId('lessons').count()).toBe(0);
      // Students can still run the lesson.
      expect(await page.getByTestId('run').isEnabled()).toBe(true);
      await screenshotTop(tab, 'lab-teacher-mode');
    }));
});

describe('layout', () => {
  it('fits a phone-sized screen without sideways scrolling, in light and dark themes', () =>
    inNewTab(lab(), '/', async (tab) => {
      const { page } = tab;
      await page.setViewportSize({ width: 390, height: 844 });
      await page.getByTestId('judge-card').waitFor();
      await page.locator('[data-testid="capability-panel"][data-status="ready"]').waitFor({ timeout: 60_000 });
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect(await overflow()).toBeLessThanOrEqual(0);
      await screenshotTop(tab, 'lab-phone');
      await page.emulateMedia({ colorScheme: 'dark' });
      expect(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor)).toBe(
        'rgb(18, 20, 23)',
      );
      await page.setViewportSize({ width: 1280, height: 900 });
      await screenshotTop(tab, 'lab-dark');
    }));
});

describe('long runs', () => {
  it('draws a saved run of 12,000 steps per run with at most ~600 points per line', async () => {
    const steps = 12_000;
    const rows = (run: number) =>
      Array.from({ length: steps }, (_, i) => {
        const step = i + 1;
        const loss = Math.LN2 * Math.exp(-step / 4000) + 0.02 * Math.sin(step * (run + 1));
        return {
          step,
          loss,
          'rewards/margins': 1 - loss,
          'rewards/chosen': 0.5 - loss / 2,
          'rewards/rejected': -0.5 + loss / 2,
          'rewards/accuracies': 0.5 + (1 - loss) / 2,
          'logps/chosen': -20 - step / 1000,
          'logps/rejected': -22 - step / 500,
          grad_norm: 1 + Math.cos(step),
          learning_rate: 1e-3,
          tokens_per_s: 1000,
        };
      });
    const run: SavedRun = {
      id: 'long',
      createdAt: Date.now(),
      status: 'done',
      backend: 'webgpu',
      backendNotes: [],
      elapsedMs: 3_600_000,
      spec: { ...structuredClone(DEFAULT_SPEC), name: 'Long run', steps, epochs: null },
      series: { DPO: rows(0), JPO: rows(1) },
      evals: [],
      samples: [],
      adapters: [],
    };
    await inNewTab(lab(), '/', async (tab) => {
      const { page } = tab;
      const started = Date.now();
      await page.getByTestId('import-run').setInputFiles({
        name: 'long.json',
        mimeType: 'application/json',
        buffer: Buffer.from(runToBundle(run)),
      });
      await page.locator('[data-testid="chart-loss"] .recharts-line path').first().waitFor({ timeout: 60_000 });
      console.log(`imported and drew 2 × ${steps} steps in ${Date.now() - started} ms`);
      expect(await chartPoints(page, 'loss')).toEqual({ DPO: steps, JPO: steps });
      const paths = await page
        .locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve')
        .evaluateAll((els) => els.map((e) => (e.getAttribute('d') ?? '').split(/[LC]/).length));
      expect(paths.length).toBe(4);
      for (const n of paths) {
        expect(n).toBeGreaterThan(100);
        expect(n).toBeLessThanOrEqual(1300);
      }
      // The page still answers: the smoothing slider redraws the charts.
      await page.locator('.smoothing input').fill('0');
      await expect
        .poll(() => page.locator('[data-testid="chart-loss"] .recharts-line path.recharts-curve').count())
        .toBe(2);
    });
  });
});
