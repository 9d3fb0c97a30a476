/**
 * docs/cli.md rendered from the commander definitions, so the reference cannot drift from the
 * flags: usage, description, arguments and options (default, choices) of every command.
 */
import { relative, sep } from 'node:path';
import type { Argument, Command, Option } from 'commander';
import { PACKAGE_ROOT } from '../util/paths.js';
import { EXIT_CODES } from './exit-codes.js';

/** Defaults that are files of the package print relative to it, so the page is the same on every machine. */
function portable(v: unknown): unknown {
  if (typeof v === 'string' && v.startsWith(PACKAGE_ROOT + sep)) return relative(PACKAGE_ROOT, v).split(sep).join('/');
  return v;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function code(text: string): string {
  return '`' + text + '`';
}

/** The default as --help would show it (commander hides defaults of plain boolean flags). */
function optionDefault(o: Option): string {
  if (o.defaultValue === undefined) return '';
  const shown = o.required || o.optional || (o.isBoolean() && typeof o.defaultValue === 'boolean');
  if (!shown) return '';
  return code(o.defaultValueDescription ?? JSON.stringify(portable(o.defaultValue)));
}

function choices(values: readonly string[] | undefined): string {
  return values ? values.map((c) => code(c)).join(', ') : '';
}

function optionsTable(options: readonly Option[]): string[] {
  const visible = options.filter((o) => !o.hidden);
  if (visible.length === 0) return [];
  const rows = visible.map((o) => `| ${code(o.flags)} | ${cell(o.description)}${o.mandatory ? ' (required)' : ''} | ${optionDefault(o)} | ${choices(o.argChoices)} |`);
  return ['| option | description | default | choices |', '|---|---|---|---|', ...rows, ''];
}

function argumentLabel(a: Argument): string {
  const name = a.name() + (a.variadic ? '...' : '');
  return a.required ? `<${name}>` : `[${name}]`;
}

function argumentsTable(args: readonly Argument[]): string[] {
  if (args.length === 0) return [];
  const rows = args.map((a) => `| ${code(argumentLabel(a))} | ${cell(a.description)} | ${a.defaultValue === undefined ? '' : code(JSON.stringify(portable(a.defaultValue)))} | ${choices(a.argChoices)} |`);
  return ['| argument | description | default | choices |', '|---|---|---|---|', ...rows, ''];
}

function fullName(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

function commandSection(cmd: Command): string[] {
  const usage = `${fullName(cmd)} ${cmd.usage()}`;
  const lines = [`## ${fullName(cmd)}`, '', '```', usage, '```', '', cmd.description(), '', ...argumentsTable(cmd.registeredArguments), ...optionsTable(cmd.options)];
  return [...lines, ...cmd.commands.flatMap(commandSection)];
}

export function cliMarkdown(program: Command): string {
  const help = program.createHelp();
  const lines = [
    '# gradep command line',
    '',
    '<!-- Generated from the commander definitions by `npm run docs:cli`; do not edit by hand. -->',
    '',
    program.description(),
    '',
    '```',
    `${program.name()} ${program.usage()}`,
    '```',
    '',
    'Every command has `-h, --help`. With `--json` a command prints exactly one JSON document on stdout; progress and logs go to stderr.',
    '',
    '## Global options',
    '',
    'Given before the command, e.g. `gradep --threads 2 train`.',
    '',
    ...optionsTable(help.visibleOptions(program)),
    '## Exit codes',
    '',
    '| code | meaning |',
    '|---|---|',
    ...EXIT_CODES.map((e) => `| ${e.code} | ${cell(e.meaning)} |`),
    '',
    ...program.commands.flatMap(commandSection),
  ];
  return lines.join('\n').replace(/\n+$/, '') + '\n';
}
