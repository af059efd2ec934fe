/**
 * Compile-time proof that the hand-written types (./types.ts) and the field table list the same
 * fields: `npx tsc` fails, naming the paths, when a field is added to one and not the other.
 */
import type { PreferenceRow } from '../../data/types.ts';
import type { EVAL_TEST_FIELDS } from './fields-eval-test.ts';
import type { SETUP_FIELDS } from './fields-setup.ts';
import type { TRAINING_FIELDS } from './fields-training.ts';
import type { ExperimentSpec, InlineRow, LoraModule } from './types.ts';

type Leaf = string | number | boolean | null;
/** Values the table describes as one field, not field by field. */
type Opaque = readonly PreferenceRow[] | readonly InlineRow[] | readonly number[] | readonly LoraModule[];

/** Every path of T in the table's notation: containers, leaves, list items as 'runs[].beta'. */
type PathsOf<T, P extends string> = T extends Leaf | Opaque
  ? P
  : T extends readonly (infer U)[]
    ? P | Exclude<PathsOf<U, `${P}[]`>, `${P}[]`>
    : T extends object
      ?
          | P
          | { [K in keyof T & string]-?: PathsOf<Exclude<T[K], undefined>, P extends '' ? K : `${P}.${K}`> }[keyof T &
              string]
      : never;

type TypePaths = Exclude<PathsOf<ExperimentSpec, ''>, ''>;
type TablePaths =
  | (typeof SETUP_FIELDS)[number]['path']
  | (typeof TRAINING_FIELDS)[number]['path']
  | (typeof EVAL_TEST_FIELDS)[number]['path'];

type InTypesOnly = Exclude<TypePaths, TablePaths>;
type InTableOnly = Exclude<TablePaths, TypePaths>;

/** Assigning `true` fails to compile, with the offending paths in the message, unless both are empty. */
export const TYPES_MATCH_TABLE: [InTypesOnly, InTableOnly] extends [never, never]
  ? true
  : { inTypesOnly: InTypesOnly; inTableOnly: InTableOnly } = true;
