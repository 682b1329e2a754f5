import type { IssuedCredentials } from '../contract/dialect.ts';
import type { Registry } from '../contract/registry.ts';
import type { CreatedTenant } from '../gateway/tenants.ts';
import { terminalJson, terminalLines, terminalName } from '../upstream/terminal-text.ts';

/** Shell-quotes a value for printed commands and export lines. */
export const quote = (value: string): string => `'${value.replaceAll("'", `'\\''`)}'`;

/** `export NAME='value'` lines a shell can eval: the tenant, then each credential as DIALECT_FIELD. */
export function envLines(created: CreatedTenant, base: string): string {
  const lines = [`export CUSTGATE_URL=${quote(base)}`, `export CUSTGATE_TENANT_ID=${quote(created.tenant.id)}`];
  for (const [dialect, credentials] of Object.entries(created.credentials) as [string, IssuedCredentials][]) {
    for (const [field, value] of Object.entries(credentials)) {
      lines.push(`export ${`${dialect}_${field}`.toUpperCase()}=${quote(value)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The credentials and a curl line per dialect; `what` names the tenant ("the demo tenant" from serve, "the tenant" from tenant create). */
export function printDemo(
  registry: Registry,
  created: CreatedTenant,
  base: string,
  write: (text: string) => void = console.log,
  what = 'the demo tenant',
): void {
  const lines = [
    '',
    `Created ${what} "${created.tenant.name}" (${created.tenant.id}). Its credentials, shown once:`,
    JSON.stringify(created.credentials, null, 2),
    '',
    'Try (create a customer through each dialect):',
  ];
  for (const { dialect, fixtures } of Object.values(registry)) {
    const credentials = created.credentials[dialect.name];
    if (!credentials) continue;
    const headers = Object.entries({ 'content-type': 'application/json', ...fixtures.auth(credentials) })
      .map(([name, value]) => `-H ${quote(`${name}: ${value}`)}`)
      .join(' ');
    const url = `${base}${dialect.routes.prefix}${dialect.routes.collection}`;
    lines.push(`  # ${dialect.title}`, `  curl -s ${url} ${headers} -d ${quote(JSON.stringify(fixtures.create))}`);
  }
  write(lines.join('\n'));
}

/**
 * A command's answer on stdout: one JSON line, or its text. Both carry stored values (tenant and
 * customer names, provider URLs and errors, logged requests) that anyone with a key could have
 * written: nothing in them that a terminal acts on reaches it (terminal-text.ts), the text's line
 * breaks aside, and the JSON is the same value to a parser.
 */
export function printAnswer(json: boolean | undefined, value: unknown, human: () => string): void {
  if (json) printJson(value);
  else process.stdout.write(terminalLines(human()));
}

/** One JSON line on stdout, escaped as printAnswer's. */
export const printJson = (value: unknown): void => {
  process.stdout.write(`${terminalJson(value)}\n`);
};

/** One line of text on stdout (or `stream`), escaped as printAnswer's. */
export const printLine = (text: string, stream: NodeJS.WriteStream = process.stdout): void => {
  stream.write(`${terminalLines(text)}\n`);
};

/** Rows as aligned columns, for the human form of list commands. */
export function table<R extends object>(rows: readonly R[], columns: readonly (keyof R & string)[]): string {
  const cells = [
    columns as readonly string[],
    // Escaped per cell, so the columns line up as printed.
    ...rows.map((r) => columns.map((c) => (r[c] === null || r[c] === undefined ? '-' : terminalName(String(r[c]))))),
  ];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i]!.length)));
  return `${cells
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

/** `90s`, `15m`, `12h`, `30d` or a number of seconds -> seconds. */
export function durationSeconds(value: string): number {
  const match = /^(\d{1,9})([smhd]?)$/.exec(value.trim());
  if (!match) throw new Error(`not a duration: ${value} (use 90s, 15m, 12h, 30d or seconds)`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
