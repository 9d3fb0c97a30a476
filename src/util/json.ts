import { existsSync, readFileSync } from 'node:fs';
import { GradepError } from './errors.js';

/** Parse a user's JSON file; a missing file or bad JSON is a one-line error naming the file. */
export function readJsonFile(file: string, what: string): unknown {
  if (!existsSync(file)) throw new GradepError(`${file}: ${what} file not found`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new GradepError(`${file}: not valid JSON (${(e as Error).message})`);
  }
}
