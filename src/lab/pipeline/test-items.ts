/**
 * Held-out items from a test file (`eval.test` "file", "hub" or "paper", the bundled ones): the paper's test files
 * ({instruction, gold_response}; TL;DR's test.json is JSON Lines despite its name, and its
 * instruction_id/subreddit/title fields are ignored) or SFT files ({instruction, response}), read
 * by the data importer like training files, in file order. The response is the item's gold answer.
 * Rows that cannot be used are reported with their line; a file of preference comparisons is
 * refused with what a test row looks like.
 */

import { PAPER_TEST_FILES } from '../../data/paper-data.ts';
import type { EvalItem } from '../evaluate.ts';
import type { PipelineListener } from '../events.ts';
import type { DataRequest, ResolveContext, Resolvers } from '../resolve.ts';
import type { EvalTestSource } from '../spec/types.ts';

export type TestFileSource = Exclude<EvalTestSource, { source: 'task' }>;

export interface TestItems {
  items: EvalItem[];
  /** Where they came from, for messages. */
  source: string;
  /** Rows skipped, with line and reason. */
  problems: { line: number; reason: string; file?: string }[];
}

/** Reads the items of a test file (a path through the resolvers' file access, or a Hub dataset file). */
export async function loadTestItems(
  test: TestFileSource,
  resolvers: Resolvers,
  ctx: ResolveContext = {},
): Promise<TestItems> {
  const origin: DataRequest =
    test.source === 'file'
      ? { source: 'file', path: test.path, format: 'auto' }
      : test.source === 'paper'
        ? { source: 'paper', files: [PAPER_TEST_FILES[test.dataset]] }
        : { source: 'hub', repo: test.repo, revision: test.revision, file: test.file, format: 'auto' };
  const data = await resolvers.data(origin, ctx);
  if (data.candidates.length === 0) {
    throw new Error(
      `eval.test: ${data.source} holds preference comparisons, not test items; a test row is {"instruction": ..., "gold_response": ...} (the paper's test files) or {"instruction": ..., "response": ...}`,
    );
  }
  return {
    items: data.candidates.map((c) => ({ instruction: c.instruction, gold: c.response })),
    source: data.source,
    problems: data.problems,
  };
}

/** loadTestItems for the pipeline: skipped rows become warnings (the first five, then a count). */
export async function testItemsStage(
  test: TestFileSource,
  resolvers: Resolvers,
  emit: PipelineListener,
  signal?: AbortSignal,
): Promise<EvalItem[]> {
  const loaded = await loadTestItems(test, resolvers, { signal });
  for (const p of loaded.problems.slice(0, 5)) {
    emit({ kind: 'log', level: 'warn', message: `${p.file ?? loaded.source}: line ${p.line} skipped: ${p.reason}` });
  }
  if (loaded.problems.length > 5) {
    emit({ kind: 'log', level: 'warn', message: `${loaded.source}: ${loaded.problems.length - 5} more rows skipped` });
  }
  emit({ kind: 'log', level: 'info', message: `${loaded.source}: ${loaded.items.length} test items` });
  return loaded.items;
}
