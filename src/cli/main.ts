/** `npm run orchard -- <command> [...args]`: runs dispatch.ts and sets the exit code (1 on any error). */
import { dispatch } from './dispatch.ts';

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    console.error(`orchard: ${err instanceof Error ? err.message : String(err)}`);
    if (process.env.ORCHARD_DEBUG && err instanceof Error) console.error(err.stack);
    process.exitCode = 1;
  },
);
