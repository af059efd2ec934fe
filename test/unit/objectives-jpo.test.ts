/**
 * JPO vs DPO (jpo.md): on pairs that share one instruction, the prompt terms of policy and
 * reference cancel, so JPO's loss and gradients (joint masks) equal DPO's (conditional masks) while
 * the logged rewards differ; on pairs with different instructions they differ. Reference: a
 * separate frozen model, scored once (reference.ts).
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../../src/engine/backends/cpu/backend.ts';
import { parseConfig } from '../../src/engine/models/config.ts';
import { randomModel } from '../../src/engine/models/init.ts';
import { evaluateObjective } from '../../src/engine/objectives/evaluate.ts';
import { Rng } from '../../src/engine/random.ts';
import { computeReferenceTable, type EncodedRow } from '../../src/engine/reference.ts';
import { must } from './engine-helpers.ts';
import { relErr } from './parity-fixture.ts';

const config = parseConfig({ model_type: 'gpt2', vocab_size: 31, n_positions: 32, n_embd: 12, n_layer: 2, n_head: 2 });
const policy = randomModel('policy', config, new Rng(1), 0.3);
const refModel = randomModel('ref', config, new Rng(2), 0.3);
const backend = new CpuBackend();

/** BOS + prompt + response + EOS, with the label mask of `mode` (as src/data/sequence.ts builds it). */
function row(prompt: number[], response: number[], mode: 'joint' | 'conditional'): EncodedRow {
  const ids = [30, ...prompt, ...response, 30];
  const first = mode === 'joint' ? 1 : 1 + prompt.length;
  return { ids, mask: ids.map((_, t) => (t >= first ? 1 : 0)) };
}

function pairs(sameInstruction: boolean, mode: 'joint' | 'conditional') {
  const r = new Rng(99); // the same token draws for both modes
  const chosen: EncodedRow[] = [];
  const rejected: EncodedRow[] = [];
  for (let i = 0; i < 3; i++) {
    const draw = (n: number) => Array.from({ length: n }, () => r.int(30));
    const promptC = draw(4 + i);
    const promptR = sameInstruction ? promptC : draw(3 + i);
    chosen.push(row(promptC, draw(3 + i), mode));
    rejected.push(row(promptR, draw(5 - i), mode));
  }
  return { chosen, rejected };
}

async function run(objective: 'dpo' | 'jpo', sameInstruction: boolean) {
  const mode = objective === 'jpo' ? 'joint' : 'conditional';
  const p = pairs(sameInstruction, mode);
  const reference = await computeReferenceTable(
    { kind: 'model', model: refModel },
    { model: policy, weights: policy.weights },
    p,
    {
      backend,
      padId: 0,
    },
  );
  return evaluateObjective({
    model: policy,
    weights: policy.weights,
    backend,
    objective,
    pairs: p,
    reference,
    padId: 0,
    grads: true,
    chunkPairs: 2,
  });
}

describe('JPO vs DPO', () => {
  it('same instruction: equal loss and gradients, different logged rewards', async () => {
    const dpo = await run('dpo', true);
    const jpo = await run('jpo', true);
    expect(Math.abs(dpo.loss - Math.log(2))).toBeGreaterThan(1e-3); // a non-trivial reference
    expect(relErr([jpo.loss], [dpo.loss])).toBeLessThan(1e-5);
    expect(relErr([jpo.metrics['rewards/margins']], [dpo.metrics['rewards/margins']])).toBeLessThan(1e-4);
    expect(Math.abs(jpo.metrics['rewards/chosen'] - dpo.metrics['rewards/chosen'])).toBeGreaterThan(1e-2);
    expect(jpo.metrics['logps/chosen']).toBeLessThan(dpo.metrics['logps/chosen'] - 1);
    const jpoGrads = must(jpo.grads, 'JPO gradients');
    for (const [name, g] of must(dpo.grads, 'DPO gradients')) {
      expect(relErr(must(jpoGrads.get(name), `JPO gradient of ${name}`), g, 1e-9), name).toBeLessThan(1e-3);
    }
    expect(dpo.gradNorm).toBeGreaterThan(1e-3);
  });

  it('different instructions: loss and gradients differ', async () => {
    const dpo = await run('dpo', false);
    const jpo = await run('jpo', false);
    expect(Math.abs(jpo.loss - dpo.loss)).toBeGreaterThan(1e-3);
    expect(
      relErr(
        must(jpo.grads?.get('transformer.wte.weight'), 'JPO wte gradient'),
        must(dpo.grads?.get('transformer.wte.weight'), 'DPO wte gradient'),
      ),
    ).toBeGreaterThan(1e-2);
  });
});
