/**
 * docs/spec.md, rendered from the field table and the cross-field rules (`npm run docs:spec`
 * writes it; a unit test fails when the file is stale).
 */
import { OBJECTIVE_NAMES, objectiveDefault } from './objectives.ts';
import { CROSS_FIELD_RULES } from './rules.ts';
import { SPEC_FIELDS } from './schema.ts';
import type { Bound, FieldSchema } from './schema-kit.ts';
import { SPEC_VERSION } from './types.ts';

const INTRO = `# The experiment spec (version ${SPEC_VERSION})

<!-- Generated from src/lab/spec/ by \`npm run docs:spec\`; edit the field table there, not this file. -->

One JSON object describes a whole experiment: the lab's form, share links, saved runs and the CLI
(\`orchard train --spec FILE\`) all read and write it. A hand-written file may leave out any field
that has a default; \`validateSpec\` rejects unknown fields (with a "did you mean" for typos).

- **Per-objective defaults.** A run's \`beta\`, \`labelSmoothing\`, \`simpoGamma\` and \`orpoLambda\` may be
  left out: each then takes the run's objective's own default, read from the engine's objective
  table (\`src/engine/objectives/index.ts\`). \`effectiveRunParams(run)\` gives the numbers a run trains with.
- **The reference model** π_ref is the initial model (after SFT when \`sft\` is set), scored once
  before training; objectives without a reference (simpo, orpo, sft) skip it.
- **Versions.** Version 1 specs and share links still open: migration keeps every value they give,
  fills a v1 run's missing β, ε, γ, λ with v1's 0.1, 0, 0.5, 0.1, and drops \`reference\` (its three
  modes gave identical numbers). Newer versions are refused with a message to update Orchard.

| field | default | allowed | meaning |
| --- | --- | --- | --- |
`;

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, '\\n');

function json(v: unknown): string {
  return JSON.stringify(v);
}

function range(b: Bound): string {
  if (b.int) return `${b.min}..${b.max}`;
  return `${b.minExclusive ? '(' : '['}${b.min}, ${b.max}${b.maxExclusive ? ')' : ']'}`;
}

function allowed(f: FieldSchema): string {
  if (f.allowedText) return f.allowedText;
  const orNull = f.nullable ? ' or null' : '';
  switch (f.type) {
    case 'int':
    case 'number':
      return `${f.bound ? range(f.bound) : ''}${orNull}`;
    case 'enum':
    case 'set':
      return (f.choices ?? []).join(', ');
    case 'bool':
      return 'true, false';
    case 'text':
      return f.length ? `${f.length[0]}..${f.length[1]} chars` : 'text';
    case 'list':
      return `${f.length?.[0]}..${f.length?.[1]} items`;
    default:
      return '';
  }
}

/** "unset: 0.1 (simpo 2)": the objectives' defaults, the common value first. */
function objectiveDefaultText(field: NonNullable<FieldSchema['objectiveDefault']>): string {
  const byValue = new Map<number, string[]>();
  for (const o of OBJECTIVE_NAMES) {
    const v = objectiveDefault(o, field);
    byValue.set(v, [...(byValue.get(v) ?? []), o]);
  }
  const [common, ...others] = [...byValue.entries()].sort((a, b) => b[1].length - a[1].length);
  const exceptions = others.map(([v, os]) => `${os.join(', ')}: ${v}`).join('; ');
  return `unset: the objective's own, ${common[0]}${exceptions ? ` (${exceptions})` : ''}`;
}

function defaultText(f: FieldSchema): string {
  if (f.defaultText) return f.defaultText;
  if (f.objectiveDefault) return objectiveDefaultText(f.objectiveDefault);
  return f.default === undefined ? 'none' : json(f.default);
}

function meaning(f: FieldSchema): string {
  const when = f.when ? `(${f.when.join(', ')}) ` : '';
  const used = f.usedBy && f.usedBy.length < OBJECTIVE_NAMES.length ? `; used by ${f.usedBy.join(', ')}` : '';
  return `${when}${f.help}${used}`;
}

export function renderSpecDocs(): string {
  const rows = SPEC_FIELDS.filter((f) => f.documented ?? !['object', 'variant'].includes(f.type)).map(
    (f) => `| \`${f.path}\` | ${cell(defaultText(f))} | ${cell(allowed(f))} | ${cell(meaning(f))} |`,
  );
  const rules = CROSS_FIELD_RULES.map((r) => `- ${r.doc}`);
  return `${INTRO}${rows.join('\n')}\n\nRules between fields:\n\n${rules.join('\n')}\n`;
}
