import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

export interface Child {
  readonly process: ChildProcess;
  /** The first stdout line that matched. */
  readonly line: string;
  /** Everything the child wrote to stderr so far (for diagnosing a failed start). */
  stderr(): string;
  stop(): Promise<void>;
}

/** Starts `node <args>` in the project root and resolves once a stdout line matches `ready`. */
export function startChild(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  ready: RegExp,
  options: { readonly timeoutMs: number },
): Promise<Child> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`${args.join(' ')}: not ready within ${options.timeoutMs} ms\n${err}`));
    }, options.timeoutMs);
    let started = false;
    // `custgate serve` says where it listens on stderr (its stdout is the JSON log); Prism and the
    // hello-world server say it on stdout.
    const scan = (text: string) => {
      if (started) return;
      for (const line of text.split('\n')) {
        if (ready.test(line)) {
          started = true;
          clearTimeout(timer);
          out = '';
          // From now on the output is drained and dropped (a mock that logs every request must
          // not fill this process's memory while it drives the load).
          child.stdout?.removeAllListeners('data');
          child.stdout?.resume();
          resolve({ process: child, line, stderr: () => err, stop });
          return;
        }
      }
    };
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      err = (err + chunk).slice(-20_000);
      scan(err);
    });
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      scan(out);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code} before it was ready\n${err}`));
    });
  });
}

export interface Finished {
  readonly out: string;
  /** The last 20,000 characters of stderr. */
  readonly err: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Runs `node <args>` in the project root to completion, its output collected. */
export function runToEnd(args: readonly string[], env: Readonly<Record<string, string | undefined>>, timeoutMs: number): Promise<Finished> {
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err = (err + chunk).slice(-20_000);
  });
  // 'close' comes after the child's stdio is drained, unlike 'exit'.
  return new Promise((resolve) => child.once('close', (code, signal) => resolve({ out, err, code, signal })));
}

/** Runs `node --import tsx <args>` to completion and returns its last stdout line. */
export async function runChild(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<string> {
  const { out, err, code, signal } = await runToEnd(['--import', 'tsx', ...args], env, timeoutMs);
  if (code !== 0) throw new Error(`${args.join(' ')} failed (${signal ?? code})\n${err}`);
  return out.trim().split('\n').at(-1) ?? '';
}

// Peak resident memory per row: Linux keeps a high-water mark (VmHWM) per process, which writing
// 5 to clear_refs resets to the current RSS. Elsewhere the figure is not available.

/** The process and its descendants (`serve --workers N` forks N), from /proc; just the pid elsewhere. */
export function processTree(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  const parents = new Map<number, number[]>();
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
      } catch {
        // exited meanwhile
      }
    }
  } catch {
    return [pid];
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(parents.get(tree[i]!) ?? []));
  return tree;
}

export function resetPeakRss(pid: number | undefined): void {
  for (const p of processTree(pid)) {
    try {
      writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      // not Linux, or not allowed: the peak then covers the process's whole life
    }
  }
}

/** The largest peak RSS of the process tree in bytes since the last reset, or undefined without /proc. */
export function peakRss(pid: number | undefined): number | undefined {
  let peak: number | undefined;
  for (const p of processTree(pid)) {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (match) peak = Math.max(peak ?? 0, Number(match[1]) * 1024);
    } catch {
      // exited
    }
  }
  return peak;
}

/** CPU time (user + system) of the process tree, in seconds, or undefined without /proc. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  const each = processTree(pid).map(ownCpuSeconds);
  return each.some((s) => s === undefined) || each.length === 0 ? undefined : each.reduce((a, b) => a! + b!, 0);
}

function ownCpuSeconds(pid: number): number | undefined {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the
    // 12th and stime the 13th, in clock ticks (100 per second on Linux).
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The bin as an installed package has it: bin/ beside dist/ and no src/, so bin/custgate.js runs the
 * compiled JavaScript with the V8 settings it gives a server (bin/heap.js). dist/, node_modules and
 * package.json are links to this checkout's.
 */
export function installedBin(dir: string): string {
  const pkg = join(dir, 'installed');
  mkdirSync(join(pkg, 'bin'), { recursive: true });
  for (const file of ['custgate.js', 'heap.js']) copyFileSync(join(root, 'bin', file), join(pkg, 'bin', file));
  for (const link of ['dist', 'node_modules', 'package.json'])
    if (!existsSync(join(pkg, link))) symlinkSync(join(root, link), join(pkg, link));
  return join(pkg, 'bin', 'custgate.js');
}

let built = false;

/** Compiles the sources into dist/ (what `npm pack` ships), so an installed-package row runs this checkout's code; once per run. */
export function buildDist(): void {
  if (built) return;
  built = true;
  execFileSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: root });
}

/**
 * The node arguments that run one of the bench's own TypeScript servers (hello-world, by hand):
 * through tsx's loader, or (`compiled`) as one JavaScript file esbuild bundles from it once per run,
 * its packages left to node_modules, so it carries no loader when the custgate beside it runs as
 * an installed package does.
 */
export function scriptArgs(file: string, compiled: boolean): string[] {
  if (!compiled) return ['--import', 'tsx', file];
  const out = join(root, 'node_modules', '.cache', 'custgate-bench', file.replace(/[/\\]/g, '-').replace(/\.ts$/, '.mjs'));
  if (!bundled.has(out)) {
    buildSync({
      entryPoints: [join(root, file)],
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      outfile: out,
      logLevel: 'warning',
    });
    bundled.add(out);
  }
  return [out];
}

const bundled = new Set<string>();
