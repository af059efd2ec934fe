/**
 * The token-by-token margin view (issue 16): after a small DPO + JPO run on the CPU, the same
 * training pair under both runs. DPO's prompt tokens are masked and contribute exactly 0; JPO's
 * contribute non-zero amounts. Every number shown (log πθ, log πref and the contribution of each
 * token) equals what the engine computes in Node for that pair and step: the test trains the page's
 * spec (decoded from its share link) in Node with the same snapshots, and scores the pair with
 * SequenceScorer.tokenLogps on the training encoding. The step scrubber works from the keyboard;
 * step 0 (the reference itself) shows all zeros, and step 2 again equals the engine's numbers.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { encodePair } from '../../src/data/sequence.ts';
import { CpuBackend, padRows, SequenceScorer } from '../../src/engine/index.ts';
import { runExperiment } from '../../src/lab/pipeline/index.ts';
import { nodeResolvers } from '../../src/lab/resolve.ts';
import { decodeShareLink } from '../../src/lab/share-link.ts';
import { TokenMarginsKeeper } from '../../src/lab/token-margins-keeper.ts';
import { configureTinyCpuRun, labForFile, waitForRunEnd } from './lab-helpers.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const lab = labForFile({ webgpu: false });

interface ShownToken {
  text: string;
  part: string;
  masked: boolean;
  contribution: number;
  policy: number;
  reference: number;
}

async function shownSide(page: Page, run: string, side: 'chosen' | 'rejected'): Promise<ShownToken[]> {
  return page.locator(`[data-testid="token-side-${run}-${side}"] button.token`).evaluateAll((els) =>
    els.map((el) => ({
      text: el.textContent ?? '',
      part: el.getAttribute('data-part') ?? '',
      masked: el.getAttribute('data-masked') === 'true',
      contribution: Number(el.getAttribute('data-contribution')),
      policy: Number(el.getAttribute('data-policy-logp')),
      reference: Number(el.getAttribute('data-reference-logp')),
    })),
  );
}

/** Waits until both runs show `step` of pair `pair` ("RUN:index") and no request is pending. */
async function waitForStep(page: Page, step: number, pair = 'DPO:0'): Promise<void> {
  const view = page.getByTestId('token-margins');
  await view.locator(`[data-testid="token-state"]:text-is("ready")`).waitFor();
  for (const run of ['DPO', 'JPO']) {
    await view.locator(`[data-testid="token-run-${run}"][data-step="${step}"][data-pair="${pair}"]`).waitFor();
  }
  await page.locator('[data-testid="token-margins"][aria-busy="false"]').waitFor();
}

it('shows JPO prompt tokens contributing and DPO prompt tokens masked, with the engine’s numbers at each step', async () => {
  const tab = await lab().open('/');
  const { page } = tab;
  await configureTinyCpuRun(page, 'Token view', { 'data.pairing.budget': '16', steps: '4' });
  await page.getByTestId('compare').click();
  expect(await waitForRunEnd(page, 300_000)).toBe('done');
  await waitForStep(page, 4);

  // The page's spec, trained again in Node with the same snapshots (the CPU backend is deterministic).
  await page.getByRole('button', { name: 'Share link' }).click();
  const decoded = await decodeShareLink(await page.getByTestId('share-url').inputValue());
  if (!decoded.ok) throw new Error(decoded.error.message);
  const backend = new CpuBackend();
  const keeper = new TokenMarginsKeeper();
  const resolvers = await nodeResolvers({ root: ROOT });
  const result = await runExperiment(decoded.spec, { backend, resolvers, snapshots: keeper });
  expect(result.status).toBe('completed');
  const ctx = keeper.context;
  if (!ctx) throw new Error('no snapshot context');
  const tok = ctx.tokenizer;
  const pair = keeper.pairs('DPO')[0];
  expect(pair.i_chosen).toBe(pair.i_reject);

  /** Each token's log πθ and log πref of `run` at `step`, straight from the engine. */
  const engineLogps = async (run: string, step: number) => {
    const plan = ctx.runs.find((r) => r.label === run);
    if (!plan) throw new Error(`no run ${run}`);
    const enc = (i: string, r: string, other: string) =>
      encodePair(tok, i, r, { mode: plan.mode, ...ctx.encoding, pairedResponse: other });
    const rows = [enc(pair.i_chosen, pair.r_chosen, pair.r_reject), enc(pair.i_reject, pair.r_reject, pair.r_chosen)];
    const every = rows.map((r) => ({ ids: r.ids, mask: r.ids.map((_, t) => (t === 0 ? 0 : 1)) }));
    const batch = padRows(every, tok.padId, Math.max(...rows.map((r) => r.ids.length)));
    const score = async (s: number) => {
      const trainable = keeper.snapshot(run, s);
      if (!trainable) throw new Error(`no snapshot of ${run} at step ${s}`);
      const weights = new Map([...ctx.model.weights, ...trainable]);
      const scorer = new SequenceScorer(ctx.model, weights, backend, ctx.lora ?? undefined);
      const out = await scorer.tokenLogps(batch);
      scorer.dispose();
      return out;
    };
    return { rows, beta: plan.loss.beta, policy: await score(step), reference: await score(0) };
  };

  const check = async (step: number) => {
    for (const run of ['DPO', 'JPO']) {
      const engine = await engineLogps(run, step);
      for (const [b, side] of (['chosen', 'rejected'] as const).entries()) {
        const shown = await shownSide(page, run, side);
        expect(shown.length).toBe(engine.rows[b].ids.length);
        // The same pair: each token's text as the page writes it (newline ↵, empty ∅).
        const texts = engine.rows[b].ids.map((id) => tok.decode([id]).replace(/\n/g, '↵') || '∅');
        expect(shown.map((t) => t.text)).toEqual(texts);
        for (const [t, token] of shown.entries()) {
          const masked = engine.rows[b].mask[t] === 0;
          expect(token.masked).toBe(masked);
          expect(token.policy).toBeCloseTo(engine.policy[b][t], 4);
          expect(token.reference).toBeCloseTo(engine.reference[b][t], 4);
          const expected = masked ? 0 : engine.beta * (engine.policy[b][t] - engine.reference[b][t]);
          expect(token.contribution).toBeCloseTo(expected, 5);
        }
        const prompt = shown.filter((t) => t.part === 'prompt');
        expect(prompt.length).toBeGreaterThan(0);
        if (run === 'DPO') {
          for (const t of prompt) expect([t.masked, t.contribution]).toEqual([true, 0]);
        } else if (step === 4) {
          // After training (the first update may have a warm-up learning rate of 0, so not at step 1).
          expect(prompt.every((t) => !t.masked)).toBe(true);
          expect(Math.max(...prompt.map((t) => Math.abs(t.contribution)))).toBeGreaterThan(1e-5);
        }
      }
    }
  };

  await check(4);
  await page.getByText('masked: DPO scores the response only').waitFor();
  await page.getByTestId('token-margins').scrollIntoViewIfNeeded();
  await page.getByTestId('token-margins').screenshot({ path: join(ROOT, 'test-artifacts', 'token-view.png') });

  // The scrubber from the keyboard: Home is step 0 (the reference: every contribution 0), then one step on.
  const scrubber = page.getByTestId('token-step-scrubber');
  await scrubber.focus();
  await page.keyboard.press('Home');
  await waitForStep(page, 0);
  for (const run of ['DPO', 'JPO']) {
    for (const side of ['chosen', 'rejected'] as const) {
      for (const t of await shownSide(page, run, side)) expect(t.contribution).toBe(0);
    }
  }
  await page.keyboard.press('ArrowRight');
  await waitForStep(page, 1);
  await page.keyboard.press('ArrowRight');
  await waitForStep(page, 2);
  await check(2);

  // Focus shows a token's numbers in words.
  await page.locator('[data-testid="token-side-JPO-chosen"] button.token[data-part="prompt"]').nth(1).focus();
  expect(await page.getByTestId('token-detail').textContent()).toMatch(/\(prompt\): [+−]\d/);

  // A joint pair of JPO's: two instructions, so under JPO the prompts differ and count; DPO's row says
  // it never trains on such pairs.
  const joint = keeper.pairs('JPO').findIndex((p) => p.i_chosen !== p.i_reject);
  expect(joint).toBeGreaterThanOrEqual(0);
  {
    await page.getByTestId('token-pair-from').selectOption('JPO');
    await page.getByTestId('token-pair').selectOption(String(joint));
    await waitForStep(page, 2, `JPO:${joint}`);
    await page.getByTestId('token-joint-note').waitFor();
    const promptText = async (side: 'chosen' | 'rejected') =>
      (await shownSide(page, 'JPO', side))
        .filter((t) => t.part === 'prompt')
        .map((t) => t.text)
        .join('');
    expect(await promptText('chosen')).not.toBe(await promptText('rejected'));
  }

  // Any pair, from the keyboard: the last one by its number (Enter), then the one before it; a
  // number that is no pair is refused with the range. The preview and the tokens are that pair's.
  {
    const pairs = keeper.pairs('JPO');
    const last = pairs.length - 1;
    const number = page.getByTestId('token-pair-number');
    await number.fill('0');
    await number.press('Enter');
    expect(await page.getByTestId('token-pair-problem').textContent()).toMatch(`from 1 to ${pairs.length}`);
    await number.fill(String(last + 1));
    await number.press('Enter');
    await waitForStep(page, 2, `JPO:${last}`);
    const preview = await page.getByTestId('token-pair-preview').textContent();
    expect(preview).toContain(`Pair ${last + 1} of ${pairs.length}`);
    expect(preview).toContain(pairs[last].r_chosen.slice(0, 40));
    const shownText = async (side: 'chosen' | 'rejected') =>
      (await shownSide(page, 'JPO', side)).map((t) => t.text.replace(/↵/g, '\n')).join('');
    expect(await shownText('chosen')).toContain(pairs[last].r_chosen.slice(0, 20));
    await page.getByRole('button', { name: 'Previous pair' }).press('Enter');
    await waitForStep(page, 2, `JPO:${last - 1}`);
    expect(await page.getByTestId('token-pair').inputValue()).toBe(String(last - 1));
  }

  // On a phone the view wraps inside the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  const view = page.getByTestId('token-margins');
  const right = await view.evaluate((el) =>
    Math.max(...[el, ...el.querySelectorAll('*')].map((e) => e.getBoundingClientRect().right)),
  );
  expect(right).toBeLessThanOrEqual(await page.evaluate(() => document.documentElement.clientWidth));
  await view.screenshot({ path: join(ROOT, 'test-artifacts', 'token-view-phone.png') });
  backend.dispose();
  expect(tab.errors).toEqual([]);
}, 600_000);
