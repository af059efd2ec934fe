/**
 * "What is being compared": DPO's and JPO's losses side by side, one conditional and one joint
 * pair from the experiment's own task data, the paper, and a line for every objective.
 */
import { useMemo } from 'react';
import type { ExperimentSpec } from '../../lab/spec.ts';
import { type TaskCandidate, trainCandidates } from '../../state/label-queue.ts';
import { useSpecStore } from '../../state/spec-store.ts';
import { OBJECTIVE_LINES } from '../lib/objectives-explained.ts';

export const PAPER_URL = 'https://arxiv.org/abs/2404.00530';

interface Side {
  instruction: string;
  response: string;
}

/** The paper's own picture (docs/jpo.md), for data that is not the lab's task. */
const PAPER_EXAMPLE: { conditional: [Side, Side]; joint: [Side, Side]; source: string } = {
  conditional: [
    { instruction: 'Create a list of four fruits other than Apple', response: 'Orange, Blueberry, Kiwi, Banana' },
    { instruction: 'Create a list of four fruits other than Apple', response: 'Apple, Orange, Banana, Grape' },
  ],
  joint: [
    { instruction: 'Create a list of four fruits', response: 'Apple, Orange, Banana, Grape' },
    { instruction: 'Create a list of beach activities', response: 'wear sunscreen, don’t litter' },
  ],
  source: 'the paper’s example',
};

/**
 * A conditional pair (the task's reference answer beats a flawed one to the same instruction) and
 * a joint pair (a reference answer beats a flawed answer to another instruction), as the exact
 * checker of the task judges them; the paper's example for other data.
 */
export function examplePairs(spec: ExperimentSpec): typeof PAPER_EXAMPLE {
  if (spec.data.source !== 'task') return PAPER_EXAMPLE;
  const candidates = trainCandidates(spec.seed, 2);
  const [first, second] = [...new Set(candidates.map((c) => c.instruction))];
  const good = (i: string) => candidates.find((c) => c.instruction === i && c.flaw === null) as TaskCandidate;
  const bad = (i: string) => candidates.find((c) => c.instruction === i && c.flaw !== null) as TaskCandidate;
  const side = (c: TaskCandidate): Side => ({ instruction: c.instruction, response: c.response });
  return {
    conditional: [side(good(first)), side(bad(first))],
    joint: [side(good(first)), side(bad(second))],
    source: `this experiment’s task data (seed ${spec.seed}), judged by the task’s exact checker`,
  };
}

function PairView({ kind, pair }: { kind: 'conditional' | 'joint'; pair: [Side, Side] }) {
  return (
    <figure className="example-pair" data-testid={`example-${kind}`}>
      <figcaption>{kind === 'conditional' ? 'A conditional pair: one prompt' : 'A joint pair: two prompts'}</figcaption>
      {pair.map((s, i) => (
        <p key={i === 0 ? 'chosen' : 'rejected'} className={i === 0 ? 'side-chosen' : 'side-rejected'}>
          <span className="side-tag">{i === 0 ? 'better' : 'worse'}</span>{' '}
          <span className="example-instruction">{s.instruction}</span> → <q>{s.response}</q>
        </p>
      ))}
    </figure>
  );
}

export function WhatIsCompared() {
  const spec = useSpecStore((s) => s.draft);
  const { seed, data } = spec;
  // biome-ignore lint/correctness/useExhaustiveDependencies: only the seed and the data source shape the examples
  const examples = useMemo(() => examplePairs(spec), [seed, data.source]);
  return (
    <details className="card compared" data-testid="what-is-compared">
      <summary>
        <h2>What is being compared</h2>
        <span className="muted">the two losses, an example of each kind of pair, the paper</span>
      </summary>
      <div className="compared-grid">
        <div className="compared-col" data-testid="loss-dpo">
          <h3>DPO</h3>
          <p className="formula">
            −log σ(β·[log π<sub>θ</sub>(y<sub>w</sub>|x) − log π<sub>ref</sub>(y<sub>w</sub>|x)] − β·[log π<sub>θ</sub>
            (y<sub>l</sub>|x) − log π<sub>ref</sub>(y<sub>l</sub>|x)])
          </p>
          <p className="muted small">
            Conditional log π(y|x): only the answer’s tokens count; both answers reply to the same prompt x.
          </p>
        </div>
        <div className="compared-col" data-testid="loss-jpo">
          <h3>JPO</h3>
          <p className="formula">
            −log σ(β·[log π<sub>θ</sub>(x<sub>w</sub>, y<sub>w</sub>) − log π<sub>ref</sub>(x<sub>w</sub>, y<sub>w</sub>
            )] − β·[log π<sub>θ</sub>(x<sub>l</sub>, y<sub>l</sub>) − log π<sub>ref</sub>(x<sub>l</sub>, y<sub>l</sub>
            )])
          </p>
          <p className="muted small">
            Joint log π(x, y): prompt and answer tokens count, so the sides may have different prompts. With one shared
            prompt its terms cancel and JPO trains exactly like DPO.
          </p>
        </div>
      </div>
      <div className="compared-grid">
        <PairView kind="conditional" pair={examples.conditional} />
        <PairView kind="joint" pair={examples.joint} />
      </div>
      <p className="muted small">
        Examples from {examples.source}. Two answers to one prompt often tie and are thrown away; pairs across prompts
        rarely tie, so the same judging effort buys JPO more usable pairs. Paper: Bansal et al., “
        <a href={PAPER_URL} target="_blank" rel="noreferrer" data-testid="paper-link">
          Comparing Bad Apples to Good Oranges: Aligning Large Language Models via Joint Preference Optimization
        </a>
        ”, Findings of ACL 2025.
      </p>
      <h3 className="subhead">The objectives you can pick</h3>
      <dl className="objective-lines" data-testid="objective-lines">
        {Object.entries(OBJECTIVE_LINES).map(([name, line]) => (
          <div key={name} data-objective={name}>
            <dt>
              <code>{name}</code>
            </dt>
            <dd>{line}</dd>
          </div>
        ))}
      </dl>
    </details>
  );
}
