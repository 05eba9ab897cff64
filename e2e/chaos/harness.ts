// The chaos suite's machinery: the seeded random source, the server it starts and SIGKILLs, PostgreSQL through psql,
// the roster, the sync proxy that injects faults into `/api/v1/sync`, and readers of the screen and of IndexedDB.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page, Route } from '@playwright/test';
import type { Answer } from './oracle';

export const root = join(__dirname, '..', '..');
export const port = Number(process.env.CHAOS_PORT ?? '18090');
export const baseURL = `http://127.0.0.1:${port}`;
export const dbUrl = process.env.CHAOS_DATABASE_URL ?? '';
export const outDir = process.env.CHAOS_OUT ?? join(root, '.quire', 'chaos');
const bin = process.env.QUIRE_BIN ?? join(root, 'target', 'release', 'quire');
export const SURVEY_ID = 'skip-logic-2026';
export const SURVEY_FILE = join(root, 'shared', 'fixtures', 'skip-logic.json');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---- seeded randomness ----

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = (seed * 0x9e3779b1) >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)];
  }
  /** Picks a key of `weights` with probability proportional to its weight. */
  weighted<K extends string>(weights: Record<K, number>): K {
    const entries = Object.entries(weights) as [K, number][];
    let x = this.next() * entries.reduce((s, [, w]) => s + w, 0);
    for (const [k, w] of entries) {
      x -= w;
      if (x < 0) return k;
    }
    return entries[entries.length - 1][0];
  }
  /** A sub-Rng for one respondent: its decisions do not shift when another respondent's change. */
  fork(salt: number): Rng {
    return new Rng(Math.floor(this.next() * 2 ** 31) ^ salt);
  }
}

// ---- events, violations ----

export interface ChaosEvent {
  t: number;
  who: string;
  what: string;
}

export class Journal {
  readonly events: ChaosEvent[] = [];
  readonly violations: string[] = [];
  readonly faults: Record<string, number> = {};
  private readonly start = Date.now();
  constructor(readonly seed: number) {}
  log(who: string, what: string) {
    this.events.push({ t: Date.now() - this.start, who, what });
  }
  fault(kind: string, who: string, detail = '') {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1;
    this.log(who, `FAULT ${kind}${detail ? ` ${detail}` : ''}`);
  }
  violation(who: string, what: string) {
    this.violations.push(`[${who}] ${what}`);
    this.log(who, `VIOLATION ${what}`);
  }
  totalFaults(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }
  render(): string {
    const lines = this.events.map((e) => `${(e.t / 1000).toFixed(3).padStart(8)}s  ${e.who.padEnd(6)} ${e.what}`);
    return lines.join('\n');
  }
}

// ---- the server ----

/** `quire serve` as a child process, so that it can be SIGKILLed and restarted on the same port. */
export class QuireServer {
  private child: ChildProcess | undefined;
  private readonly logFile: string;
  constructor() {
    mkdirSync(outDir, { recursive: true });
    this.logFile = join(outDir, 'server.log');
  }
  get up(): boolean {
    return this.child !== undefined;
  }
  async start() {
    if (this.child) return;
    const out = openSync(this.logFile, 'a');
    this.child = spawn(bin, ['serve'], {
      env: {
        ...process.env,
        DATABASE_URL: dbUrl,
        QUIRE_BIND: `127.0.0.1:${port}`,
        QUIRE_TOKEN_SECRET: 'chaos-secret-chaos-secret-chaos-secret-0',
        QUIRE_SECURE_COOKIES: 'false',
        QUIRE_DIST_DIR: join(root, 'client', 'dist'),
        QUIRE_STATIC_DIR: process.env.CHAOS_STATIC_DIR ?? join(root, '.quire', 'chaos-static'),
        QUIRE_LOGIN_PER_MINUTE: '100000',
        QUIRE_LOGIN_FAILURES_PER_MINUTE: '100000',
        QUIRE_DB_MAX_CONNECTIONS: '8',
        RUST_LOG: process.env.RUST_LOG ?? 'warn',
      },
      stdio: ['ignore', out, out],
    });
    const child = this.child;
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const status = await fetch(`${baseURL}/healthz`).then((r) => r.status, () => 0);
      if (status === 200) return;
      if (!this.child) throw new Error(`quire serve exited at start; see ${this.logFile}`);
      if (Date.now() > deadline) throw new Error(`quire serve not healthy after 30 s; see ${this.logFile}`);
      await sleep(50);
    }
  }
  /** SIGKILL: no graceful shutdown, whatever was in flight is cut. Waits until the process is gone. */
  async kill() {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    const gone = new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', () => r())));
    child.kill('SIGKILL');
    await gone;
  }
}

// ---- PostgreSQL ----

export function sql(query: string): string[] {
  const out = execFileSync('psql', [dbUrl, '-AtX', '-v', 'ON_ERROR_STOP=1', '-c', query], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.length > 0);
}

export interface Person {
  code: string;
  id: string;
}

let rosterRun = 0;
/** Loads `n` fresh respondents of the skip-logic survey with the real `quire roster`; returns codes and ids. */
export function newPeople(n: number, label: string): Person[] {
  rosterRun++;
  const run = `${label}-${Date.now()}-${process.pid}-${rosterRun}`;
  const rows = Array.from({ length: n }, (_, i) => `Chaos School,${label},student,${run}-${i},`);
  const dir = mkdtempSync(join(tmpdir(), 'quire-chaos-'));
  const file = join(dir, 'roster.csv');
  writeFileSync(file, ['school,class,role,external_id,name', ...rows].join('\n') + '\n');
  const out = execFileSync(bin, ['roster', file, '--survey', SURVEY_ID],
    { env: { ...process.env, DATABASE_URL: dbUrl }, encoding: 'utf8' });
  const codes = out.trim().split('\n').slice(1).map((l) => l.split(',').pop() ?? '');
  if (codes.length !== n) throw new Error(`quire roster printed ${codes.length} codes for ${n} people`);
  return codes.map((code) => {
    const [id] = sql(`select id from respondents where access_code = '${code.replace(/[^A-Za-z0-9]/g, '').toUpperCase()}'`);
    if (!id) throw new Error(`no respondent with code ${code}`);
    return { code, id };
  });
}

/** The server's current answers of a respondent, page by page (the save each current row points at). */
export function serverCurrent(id: string): Record<string, Record<string, Answer>> {
  const rows = sql(`select c.page_id, s.answers from current_answers c
      join page_saves s on s.respondent_id = c.respondent_id and s.revision = c.revision
      where c.respondent_id = '${id}' order by c.page_id`);
  const out: Record<string, Record<string, Answer>> = {};
  for (const row of rows) {
    const bar = row.indexOf('|');
    out[row.slice(0, bar)] = JSON.parse(row.slice(bar + 1));
  }
  return out;
}

export function serverCompleted(id: string): boolean {
  return sql(`select completed_at is not null from respondent_progress where respondent_id = '${id}'`)[0] === 't';
}

export function quarantineRows(id: string): string[] {
  return sql(`select id || ' ' || errors::text || ' ' || left(payload::text, 300) from quarantine
      where respondent_id = '${id}' order by id`);
}

/** Every text answer ever stored or quarantined under a respondent (history included), for the leak check. */
export function storedTexts(id: string): string[] {
  // As JSON strings (one line each, whatever the text holds).
  const fromSaves = sql(`select (v->'text')::text from page_saves s, jsonb_each(s.answers) as e(k, v)
      where s.respondent_id = '${id}' and jsonb_typeof(v) = 'object' and v ? 'text'`);
  const fromQuarantine = sql(`select (v->'text')::text from quarantine q,
      jsonb_array_elements(case when jsonb_typeof(q.payload->'saves') = 'array' then q.payload->'saves'
                                else jsonb_build_array(q.payload) end) as sv(save),
      jsonb_each(case when jsonb_typeof(sv.save->'answers') = 'object' then sv.save->'answers' else '{}'::jsonb end)
        as e(k, v)
      where q.respondent_id = '${id}' and jsonb_typeof(v) = 'object' and v ? 'text'`);
  return [...fromSaves, ...fromQuarantine].map((t) => JSON.parse(t) as string);
}

// ---- the sync proxy: faults on /api/v1/sync ----

export type SyncFault = 'sync_abort' | 'sync_lost_reply' | 'sync_delay' | 'sync_503' | 'sync_500' | 'sync_twice';

interface Armed {
  kind: SyncFault;
  delayMs: number;
}

export interface RecordedBatch {
  auth: string;
  body: string;
  respondent: string;
  revisions: number[];
}

/**
 * Every sync request of a context goes through here (`context.route`): armed faults are applied to the next
 * requests, one each, in order; the rest are forwarded with `route.fetch` and their body and token are recorded when
 * the server acknowledged them (200), for late replays. Decisions are made when a fault is armed, from the seeded
 * source, never here (how many requests there are depends on timing).
 */
export class SyncProxy {
  private queue: Armed[] = [];
  offline = false;
  constructor(private readonly journal: Journal, private readonly recorded: RecordedBatch[], private readonly who: () => string) {}

  arm(kind: SyncFault, count: number, delayMs: number) {
    for (let i = 0; i < count; i++) this.queue.push({ kind, delayMs });
  }

  disarm() {
    this.queue = [];
  }

  get armed(): number {
    return this.queue.length;
  }

  async install(context: BrowserContext) {
    await context.route('**/api/v1/sync', (route) => this.handle(route));
  }

  private record(route: Route, status: number) {
    if (status !== 200) return;
    const request = route.request();
    const body = request.postData() ?? '';
    try {
      const parsed = JSON.parse(body) as { respondent_id: string; saves: { revision: number }[] };
      this.recorded.push({
        auth: request.headers().authorization ?? '',
        body,
        respondent: parsed.respondent_id,
        revisions: parsed.saves.map((s) => s.revision),
      });
      if (this.recorded.length > 200) this.recorded.shift();
    } catch {
      // not a batch we can replay
    }
  }

  private async forward(route: Route) {
    const response = await route.fetch({ timeout: 20_000 });
    const text = await response.text();
    this.record(route, response.status());
    await route.fulfill({ response, body: text });
  }

  private async handle(route: Route) {
    try {
      // Emulated offline: nothing leaves the browser, whatever the interception layer would allow.
      if (this.offline) return await route.abort('internetdisconnected');
      const fault = this.queue.shift();
      if (!fault) return await this.forward(route);
      const who = this.who();
      switch (fault.kind) {
        case 'sync_abort':
          this.journal.fault(fault.kind, who, 'request cut before the server');
          return await route.abort('connectionreset');
        case 'sync_lost_reply': {
          const response = await route.fetch({ timeout: 20_000 });
          this.journal.fault(fault.kind, who, `server answered ${response.status()}, reply cut`);
          return await route.abort('connectionreset');
        }
        case 'sync_delay':
          this.journal.fault(fault.kind, who, `${fault.delayMs} ms`);
          await sleep(fault.delayMs);
          return await this.forward(route);
        case 'sync_503':
          this.journal.fault(fault.kind, who, 'Retry-After: 1');
          return await route.fulfill({
            status: 503,
            headers: { 'retry-after': '1', 'content-type': 'application/json' },
            body: JSON.stringify({ error: { code: 'overloaded', message: 'the server is busy; retry shortly' } }),
          });
        case 'sync_500':
          this.journal.fault(fault.kind, who);
          return await route.fulfill({
            status: 500,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ error: { code: 'internal', message: 'internal error' } }),
          });
        case 'sync_twice': {
          const first = await route.fetch({ timeout: 20_000 });
          await first.body();
          const second = await route.fetch({ timeout: 20_000 });
          const text = await second.text();
          this.journal.fault(fault.kind, who, `replies ${first.status()} then ${second.status()}`);
          this.record(route, second.status());
          return await route.fulfill({ response: second, body: text });
        }
      }
    } catch {
      // The server is down (SIGKILL), or the page went away with the request: the browser sees a failed request.
      await route.abort('connectionrefused').catch(() => {});
    }
  }
}

/** Sends a recorded, acknowledged batch again from outside the browser. Returns the ack statuses, or null if the
 * server could not be reached. */
export async function replay(batch: RecordedBatch): Promise<{ status: number; acks: string[] } | null> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await fetch(`${baseURL}/api/v1/sync`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: batch.auth },
      body: batch.body,
    }).catch(() => null);
    if (!response) return null;
    const text = await response.text();
    if (response.status === 503 || response.status === 429) {
      await sleep(1_100);
      continue;
    }
    let acks: string[] = [];
    try {
      acks = (JSON.parse(text).acks ?? []).map((a: { status: string }) => a.status);
    } catch {
      // not JSON: reported by status
    }
    return { status: response.status, acks };
  }
  return { status: 503, acks: [] };
}

// ---- what the app shows and holds ----

export interface ScreenQuestion {
  id: string;
  kind: string;
  hidden: boolean;
  /** The value shown, as an answer (null when nothing is shown). */
  value: Answer | null;
}

export interface Screen {
  page: string | null;
  done: boolean;
  signIn: boolean;
  submit: string | null;
  backHidden: boolean | null;
  questions: ScreenQuestion[];
  pending: string | null;
  status: string | null;
}

export async function readScreen(page: Page): Promise<Screen> {
  return page.evaluate(() => {
    const form = document.querySelector<HTMLFormElement>('form.page');
    const questions = [...(form?.querySelectorAll<HTMLElement>('.q') ?? [])].map((q) => {
      const id = q.dataset.question ?? '';
      const kind = q.dataset.kind ?? '';
      let value: unknown = null;
      if (kind === 'single_choice') {
        const r = q.querySelector<HTMLInputElement>('input[type=radio]:checked');
        value = r ? { choice: r.value } : null;
      } else if (kind === 'multiple_choice') {
        const xs = [...q.querySelectorAll<HTMLInputElement>('input[type=checkbox]')].filter((b) => b.checked).map((b) => b.value);
        value = xs.length ? { choices: xs } : null;
      } else if (kind === 'likert') {
        const m: Record<string, string> = {};
        for (const r of q.querySelectorAll<HTMLInputElement>('input[type=radio]')) {
          if (r.checked) m[r.name.slice(`q-${id}-`.length)] = r.value;
        }
        value = Object.keys(m).length ? { matrix: m } : null;
      } else if (kind === 'free_text') {
        const box = q.querySelector<HTMLInputElement | HTMLTextAreaElement>('input, textarea');
        value = box && box.value.trim() !== '' ? { text: box.value } : null;
      } else if (kind === 'number') {
        const box = q.querySelector<HTMLInputElement>('input');
        value = box && box.value !== '' && Number.isFinite(Number(box.value)) ? { number: Number(box.value) } : null;
      } else if (kind === 'dropdown') {
        const s = q.querySelector<HTMLSelectElement>('select');
        value = s && s.value !== '' ? { choice: s.value } : null;
      }
      return { id, kind, hidden: q.hidden, value };
    });
    const submit = form?.querySelector<HTMLButtonElement>('button[type=submit]');
    const back = form?.querySelector<HTMLButtonElement>('button.secondary');
    const sync = document.querySelector<HTMLElement>('p.sync');
    return {
      page: form?.dataset.page ?? null,
      done: document.querySelector('.done') !== null,
      signIn: document.querySelector('#code') !== null,
      submit: submit?.textContent?.trim() ?? null,
      backHidden: back ? back.hidden : null,
      questions,
      pending: sync?.dataset.pending ?? null,
      status: sync?.textContent?.trim() ?? null,
    } as never;
  });
}

export interface Held {
  /** `answers` store: key → parsed value. */
  answers: Record<string, { revision?: number; answers?: Record<string, Answer>; draft?: boolean }>;
  outbox: string[];
  sessions: string[];
}

/** What IndexedDB "quire" holds (values are JSON strings). */
export async function readIdb(page: Page): Promise<Held> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((ok, fail) => {
      const r = indexedDB.open('quire');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const all = (name: string): Promise<[string, unknown][]> => new Promise((ok) => {
      if (![...db.objectStoreNames].includes(name)) return ok([]);
      const out: [string, unknown][] = [];
      const r = db.transaction(name).objectStore(name).openCursor();
      r.onsuccess = () => {
        const c = r.result;
        if (!c) return ok(out);
        out.push([String(c.key), c.value]);
        c.continue();
      };
      r.onerror = () => ok(out);
    });
    const parse = (v: unknown) => {
      try {
        return typeof v === 'string' ? JSON.parse(v) : v;
      } catch {
        return {};
      }
    };
    const answers: Record<string, unknown> = {};
    for (const [k, v] of await all('answers')) answers[k] = parse(v);
    const outbox = (await all('outbox')).map(([k]) => k);
    const sessions = (await all('sessions')).map(([k]) => k);
    db.close();
    return { answers, outbox, sessions } as never;
  });
}

/** One JSON line per seed, summed by scripts/chaos.sh; and the full event log of a seed. */
export function writeResult(line: Record<string, unknown>, log: string) {
  mkdirSync(outDir, { recursive: true });
  appendFileSync(join(outDir, 'results.jsonl'), JSON.stringify(line) + '\n');
  writeFileSync(join(outDir, `seed-${line.seed}.log`), log + '\n');
}
