/** `gradep circuit`: validate and print a circuit file, or its schema. */
import type { Command } from 'commander';
import { schemaTable } from '../../circuit/schema.js';
import { type CircuitSpec, CIRCUIT_SCHEMA, DEFAULT_CIRCUIT_FILE, loadCircuit } from '../../circuit/spec.js';
import { out } from '../output.js';

export function register(program: Command): void {
  program
    .command('circuit')
    .description('validate a circuit file and print it with defaults filled in; --schema prints every field with unit, default and range')
    .argument('[file]', 'circuit file', DEFAULT_CIRCUIT_FILE)
    .option('--schema', 'print the schema as a Markdown table')
    .option('--json', 'print one JSON document')
    .action((file: string, flags: { schema?: boolean; json?: boolean }) => {
      if (flags.schema) {
        process.stdout.write(['| field | unit | default | allowed | meaning |', '|---|---|---|---|---|', ...schemaTable(CIRCUIT_SCHEMA)].join('\n') + '\n');
        return;
      }
      const c: CircuitSpec = loadCircuit(file);
      out(Boolean(flags.json), c, () => `${file}: valid circuit "${c.name}" (${c.layers.visible}-${c.layers.hidden1}-${c.layers.hidden2})\n${JSON.stringify(c, null, 2)}`);
    });
}
