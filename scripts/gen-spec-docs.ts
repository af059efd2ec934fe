/**
 * Writes docs/spec.md, the experiment spec's field table, from the schema in src/lab/spec/
 * (`npm run docs:spec`). test/unit/lab-spec-docs.test.ts fails when the file is stale.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderSpecDocs } from '../src/lab/spec/docs.ts';

const out = join(import.meta.dirname, '..', 'docs', 'spec.md');
writeFileSync(out, renderSpecDocs());
console.log(`wrote ${out}`);
