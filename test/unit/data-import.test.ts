import { createReadStream, readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ByteSource } from '../../src/data/formats/stream.ts';
import { type ImportOptions, type ImportResult, importPreferences } from '../../src/data/import.ts';
import { summarize } from '../../src/data/summary.ts';

const PAPER = '../shared/data/jpo-paper';
const enc = new TextEncoder();

/** A paper-format row, as an object (expected results) or a JSON line (input). */
const pair = (a: string, b: string, c: string, d: string) => ({ i_chosen: a, r_chosen: b, i_reject: c, r_reject: d });
const row = (a: string, b: string, c: string, d: string) => JSON.stringify(pair(a, b, c, d));

async function load(text: ByteSource, opts: ImportOptions = {}): Promise<ImportResult> {
  return importPreferences(text, opts);
}

/** The parts of a result that must not depend on how the bytes were chunked. */
function essence(r: ImportResult) {
  return { c: r.container, f: r.format, p: r.pairs, pl: r.pairLines, k: r.candidates, pr: r.problems };
}

describe('JSON Lines', () => {
  it('reads paper rows and reports every bad line with its reason', async () => {
    const text = [
      row('q1', 'good', 'q1', 'bad'),
      '',
      '{"i_chosen": "q2", "r_chosen": "x",}',
      JSON.stringify({ i_chosen: 'q3', r_chosen: 'a', i_reject: 'q3' }),
      JSON.stringify({ i_chosen: 'q4', r_chosen: 7, i_reject: 'q4', r_reject: 'b' }),
      '[1, 2]',
      row('q5', 'a', 'q6', 'b'),
    ].join('\n');
    const r = await load(text);
    expect(r.container).toBe('jsonl');
    expect(r.format).toBe('paper');
    expect(r.pairs).toEqual([pair('q1', 'good', 'q1', 'bad'), pair('q5', 'a', 'q6', 'b')]);
    expect(r.pairLines).toEqual([1, 7]);
    expect(r.problems.map((p) => p.line)).toEqual([3, 4, 5, 6]);
    expect(r.problems[0].reason).toMatch(/^invalid JSON at column 36: /);
    expect(r.problems[1].reason).toBe('missing field r_reject');
    expect(r.problems[2].reason).toBe('field r_chosen must be a string, got number');
    expect(r.problems[3].reason).toBe('expected an object with the paper fields, got a list');
    const s = summarize(r);
    expect([s.conditional, s.joint]).toEqual([1, 1]);
  });

  it('handles BOM, CRLF and a last line without newline', async () => {
    const text = `\uFEFF${row('q', 'a', 'q', 'b')}\r\n${row('p', 'c', 'p', 'd')}\r\n\r\n${row('é', '🍎', 'é', 'x')}`;
    for (const input of [text, enc.encode(text)]) {
      const r = await load(input);
      expect(r.problems).toEqual([]);
      expect(r.pairs.map((p) => p.i_chosen)).toEqual(['q', 'p', 'é']);
      expect(r.pairs[2].r_chosen).toBe('🍎');
      expect(r.pairLines).toEqual([1, 2, 4]);
    }
  });

  it('reads an empty file as no rows and no problems', async () => {
    for (const text of ['', '\n\n  \n', '\uFEFF']) {
      const r = await load(text);
      expect(r.pairs).toEqual([]);
      expect(r.problems).toEqual([]);
      expect(r.format).toBeNull();
    }
  });

  it('explains unrecognised fields, and honours a format override', async () => {
    const r = await load('{"question": "q", "answer": "a"}\n');
    expect(r.problems[0].line).toBe(1);
    expect(r.problems[0].reason).toMatch(/cannot tell the format from fields \[question, answer\]/);
    const forced = await load(row('q', 'a', 'q', 'b'), { format: 'rated' });
    expect(forced.problems[0].reason).toBe('missing field instruction');
  });

  it('unwraps a single-line {"data": [...]} object', async () => {
    const r = await load(JSON.stringify({ data: [JSON.parse(row('q', 'a', 'q', 'b'))] }));
    expect(r.pairs).toHaveLength(1);
  });
});

describe('JSON documents', () => {
  it('streams a top-level array and reports a broken element by line', async () => {
    const text = `[\n  ${row('q1', 'a', 'q1', 'b')},\n  {"i_chosen": "q2" "r_chosen": "x"},\n  ${row('q3', '[}"]\\"', 'q4', 'd')}\n]\n`;
    const r = await load(text);
    expect(r.container).toBe('json');
    expect(r.pairs.map((p) => p.r_chosen)).toEqual(['a', '[}"]\\"']);
    expect(r.pairLines).toEqual([2, 4]);
    expect(r.problems).toEqual([{ line: 3, reason: expect.stringMatching(/^invalid JSON at column 19: /) }]);
  });

  it('finds the list of rows inside a pretty-printed object', async () => {
    const doc = {
      columns: ['prompt', 'chosen', 'rejected'],
      meta: { note: 'skip [me]' },
      rows: [
        { prompt: 'Name a fruit', chosen: 'Kiwi', rejected: 'Carrot' },
        { prompt: 'Name a tool', chosen: 'Hammer', rejected: 'Kiwi' },
      ],
    };
    const r = await load(JSON.stringify(doc, null, 2));
    expect(r.container).toBe('json');
    expect(r.format).toBe('trl');
    expect(r.pairs[1]).toEqual(pair('Name a tool', 'Hammer', 'Name a tool', 'Kiwi'));
    expect(r.pairLines).toEqual([11, 16]);
    expect(r.problems).toEqual([]);
  });

  it('reports a file cut off mid-row and an object without a list', async () => {
    const cut = await load(`[${row('q', 'a', 'q', 'b')},\n{"i_chosen": "q2", "r_ch`);
    expect(cut.pairs).toHaveLength(1);
    expect(cut.problems).toEqual([{ line: 2, reason: expect.stringMatching(/file ends inside a string/) }]);
    const none = await load('{\n "a": 1\n}');
    expect(none.problems[0].reason).toMatch(/no list of rows/);
  });
});

describe('CSV', () => {
  it('reads RFC 4180 quoting: delimiters, doubled quotes, newlines and CRLF inside quotes', async () => {
    const text =
      'i_chosen,r_chosen,i_reject,r_reject\r\n' +
      'List two fruits,"Kiwi, Banana",List two fruits,"Carrot, ""Kiwi"""\r\n' +
      '"multi\r\nline",plain,"x","y"\r\n' +
      'too,few,fields\r\n' +
      '\r\n' +
      'q,"unclosed,q,z\n';
    const r = await load(text, { fileName: 'prefs.csv' });
    expect(r.container).toBe('csv');
    expect(r.pairs).toEqual([
      pair('List two fruits', 'Kiwi, Banana', 'List two fruits', 'Carrot, "Kiwi"'),
      pair('multi\r\nline', 'plain', 'x', 'y'),
    ]);
    expect(r.pairLines).toEqual([2, 3]);
    expect(r.problems).toEqual([
      { line: 5, reason: '3 fields, but the header has 4 (a quote or delimiter may be missing)' },
      { line: 7, reason: 'a quoted field opened in this record is never closed (missing ")' },
    ]);
  });

  it('sniffs CSV without a file name and reads rated candidates with numeric strings', async () => {
    const r = await load('instruction,response,score\nList a fruit,Kiwi,1\nList a fruit,Carrot,0.25\nx,y,high\n');
    expect(r.container).toBe('csv');
    expect(r.format).toBe('rated');
    expect(r.candidates).toEqual([
      { instruction: 'List a fruit', response: 'Kiwi', score: 1 },
      { instruction: 'List a fruit', response: 'Carrot', score: 0.25 },
    ]);
    expect(r.problems).toEqual([{ line: 4, reason: 'field score must be a number, got "high"' }]);
  });
});

describe('TRL and Anthropic-HH rows', () => {
  it('maps TRL chat messages: user turns to the instruction, last assistant turn to the response', async () => {
    const lines = [
      {
        prompt: [{ role: 'user', content: 'Name a fruit' }],
        chosen: [{ role: 'assistant', content: 'Kiwi' }],
        rejected: [
          {
            role: 'assistant',
            content: [
              { type: 'text', text: 'Car' },
              { type: 'text', text: 'rot' },
            ],
          },
        ],
      },
      {
        chosen: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'A fruit?' },
          { role: 'assistant', content: 'Kiwi' },
        ],
        rejected: [
          { role: 'user', content: 'A tool?' },
          { role: 'assistant', content: 'Kiwi' },
        ],
      },
      { prompt: 'q', chosen: [{ role: 'user', content: 'oops' }], rejected: 'b' },
    ];
    const r = await load(lines.map((l) => JSON.stringify(l)).join('\n'), { format: 'trl' });
    expect(r.pairs).toEqual([
      pair('Name a fruit', 'Kiwi', 'Name a fruit', 'Carrot'),
      pair('Be brief.\n\nHuman: Hi\n\nAssistant: Hello\n\nHuman: A fruit?', 'Kiwi', 'A tool?', 'Kiwi'),
    ]);
    expect(r.problems).toEqual([
      { line: 3, reason: 'chosen: the last message must be the assistant\'s answer, found role "user"' },
    ]);
  });

  it('splits HH transcripts at the last shared "\\n\\nAssistant:"', async () => {
    const single = {
      chosen: '\n\nHuman: Where can I buy dry ice?\n\nAssistant: At a grocery store.',
      rejected: '\n\nHuman: Where can I buy dry ice?\n\nAssistant: I do not know.',
    };
    const multi = {
      chosen: '\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: A fruit?\n\nAssistant: Kiwi',
      rejected: '\n\nHuman: Hi\n\nAssistant: Hello!\n\nHuman: A fruit?\n\nAssistant: Apple',
    };
    const broken = { chosen: 'abc', rejected: 'abd' };
    const r = await load([single, multi, broken].map((l) => JSON.stringify(l)).join('\n'));
    expect(r.format).toBe('hh');
    expect(r.pairs).toEqual([
      pair('Where can I buy dry ice?', 'At a grocery store.', 'Where can I buy dry ice?', 'I do not know.'),
      pair(
        'Human: Hi\n\nAssistant: Hello!\n\nHuman: A fruit?',
        'Kiwi',
        'Human: Hi\n\nAssistant: Hello!\n\nHuman: A fruit?',
        'Apple',
      ),
    ]);
    expect(r.problems[0].line).toBe(3);
    expect(r.problems[0].reason).toMatch(/share no "\\n\\nAssistant:" turn/);
  });
});

describe('streaming over chunk boundaries', () => {
  const files: Record<string, string> = {
    jsonl: `\uFEFF${row('Ünïcode 🍎', 'a\\nb', 'q', 'r')}\r\n{"bad": json}\n${row('x', 'y', 'x', 'z')}`,
    json: `[\n${row('q"[', '🍊,', 'q', ']}')} ,\n {"i_chosen": 1}\n]`,
    csv: 'instruction,response,score\n"a, ""b""\r\nc",🍎,1\r\nd,e\n',
  };
  for (const [name, text] of Object.entries(files)) {
    it(`gives the same result for every split point of a ${name} file`, async () => {
      const bytes = enc.encode(text);
      const whole = essence(await load(bytes));
      expect(whole.p.length + whole.k.length).toBeGreaterThan(0);
      expect(whole.pr.length).toBeGreaterThan(0);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const parts = [bytes.slice(0, cut), bytes.slice(cut)];
        expect(essence(await load(toStream(parts))), `cut at byte ${cut}`).toEqual(whole);
      }
      const bytewise = Array.from(bytes, (b) => Uint8Array.of(b));
      expect(essence(await load(toStream(bytewise)))).toEqual(whole);
    });
  }

  it('imports a ~20 MB stream with progress', async () => {
    const line = `${row('Create a list of four fruits other than Apple', 'Orange, Blueberry, Kiwi, Banana', 'Create a list of four fruits other than Apple', 'Apple, Orange, Banana, Grape')}\n`;
    const lineBytes = enc.encode(line);
    const n = Math.ceil(20e6 / lineBytes.length);
    const perChunk = 300;
    async function* chunks() {
      const block = enc.encode(line.repeat(perChunk));
      for (let done = 0; done < n; done += perChunk) {
        yield done + perChunk <= n ? block : block.subarray(0, (n - done) * lineBytes.length);
      }
    }
    const progress: number[] = [];
    // A timer must get to run while the import works: it yields to the event loop.
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    const r = await importPreferences(chunks(), { onProgress: (p) => progress.push(p.bytesRead) });
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
    expect(r.pairs).toHaveLength(n);
    expect(r.problems).toEqual([]);
    expect(r.bytesRead).toBe(n * lineBytes.length);
    expect(progress.length).toBeGreaterThan(100);
    expect(progress.at(-1)).toBe(n * lineBytes.length);
    for (let k = 1; k < progress.length; k++) expect(progress[k]).toBeGreaterThanOrEqual(progress[k - 1]);
    const s = summarize(r);
    expect(s.duplicates).toBe(n - 1);
  });
});

describe("the paper's released files", () => {
  const open = (f: string) => Readable.toWeb(createReadStream(`${PAPER}/${f}`)) as ReadableStream<Uint8Array>;

  it('val_conditional_pref.jsonl: 363 conditional paper rows', async () => {
    const r = await importPreferences(open('anthropic_helpful/val_conditional_pref.jsonl'));
    expect([r.container, r.format, r.pairs.length, r.problems.length]).toEqual(['jsonl', 'paper', 363, 0]);
    const first = JSON.parse(
      readFileSync(`${PAPER}/anthropic_helpful/val_conditional_pref.jsonl`, 'utf8').split('\n')[0],
    );
    expect(r.pairs[0]).toEqual(first);
    const s = summarize(r);
    expect([s.conditional, s.joint, s.duplicates]).toEqual([363, 0, 0]);
    expect(s.promptLength?.count).toBe(726);
  });

  it('val_sft.jsonl, test.jsonl and tldr/test.json (JSON Lines despite the name): 500 candidates each', async () => {
    for (const f of ['anthropic_helpful/val_sft.jsonl', 'anthropic_helpful/test.jsonl', 'tldr/test.json']) {
      const r = await importPreferences(open(f), { fileName: f });
      expect([f, r.container, r.format, r.candidates.length, r.problems.length]).toEqual([f, 'jsonl', 'rated', 500, 0]);
    }
  });
});

function toStream(parts: Uint8Array[]): ReadableStream<Uint8Array> {
  let k = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (k < parts.length) controller.enqueue(parts[k++]);
      else controller.close();
    },
  });
}
