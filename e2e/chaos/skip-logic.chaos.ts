// The chaos suite: for each seed (CHAOS_SEEDS), a few respondents take the skip-logic survey in real Chromium with
// random valid answers, go back and change answers that flip skip rules, and meet faults at random moments: offline
// flaps and spells, offline reloads, reloads while typing, tab close and reopen, SIGKILL of the server, sync requests
// aborted / answered 503 or 500 / delayed / delivered twice / replied to and then cut, late replays of acknowledged
// batches, and a second respondent on the same browser. After every page turn the screen must equal what the journey
// entered and what IndexedDB holds; at the end of each respondent, PostgreSQL must hold exactly the active answers of
// what the journey entered (oracle.ts), completion must match, and nothing may be quarantined or leak between
// respondents. Every decision comes from the seed; a failure prints the seed and the event log (scripts/chaos.sh SEED
// replays it).
import { type Browser, type BrowserContext, type Page, test } from '@playwright/test';
import {
  baseURL, Journal, newPeople, type Person, QuireServer, quarantineRows, readIdb, readScreen, type RecordedBatch, replay,
  Rng, type Screen, serverCompleted, serverCurrent, sleep, storedTexts, SURVEY_FILE, SyncProxy, type SyncFault,
  writeResult,
} from './harness';
import {
  type Answer, canon, evaluate, loadSurvey, missingRequired, nextPage, nonEmpty, type PageMap, previousPage,
  type Question,
} from './oracle';

const survey = loadSurvey(SURVEY_FILE);
const seeds = (process.env.CHAOS_SEEDS ?? '1 2 3').split(/[\s,]+/).filter(Boolean).map(Number);
const RESPONDENTS = Number(process.env.CHAOS_RESPONDENTS ?? '5');
/** Page turns one respondent may take before the journey counts as stuck. */
const MAX_TURNS = 45;
/** Back-and-change trips per respondent (each flips a skip rule). */
const MAX_REVISITS = 3;
const SETTLE_MS = 60_000;
/** Chance of a fault at each of the two moments of a step (before answering, before turning the page). */
const FAULT_RATE = Number(process.env.CHAOS_FAULT_RATE ?? '0.45');
const DONE = 'Thank you! You have finished the survey.';

/** Questions whose answers other conditions read: changing them flips skip rules. */
const FLIPS: Record<string, string[]> = {
  start: ['role', 'likes'],
  s_school: ['safe'],
  s_unsafe: ['told'],
  t_class: ['subjects', 'extra'],
  p_home: ['home_lang'],
  end: ['overall'],
};

const WORDS = ['ça va', 'niño', 'Straße', 'naïve café', '日本語', 'ok 👍', 'Ελλάδα', 'zażółć', "l'été", '“quoted”',
  'a\\b "c"', 'ünïcödé', 'señal', 'plain'];

/** A fatal violation: the journey cannot go on meaningfully (the app and the oracle disagree on where it is). */
class Abort extends Error {}

class Journey {
  entered: PageMap = {};
  pos = survey.pages[0].id;
  finished = false;
  aborted = false;
  turns = 0;
  revisits = 0;
  /** Going back to this page to change a flip question there. */
  backTo: string | null = null;
  flipHere = false;
  guests: Journey[] = [];
  constructor(readonly label: string, readonly person: Person, readonly rng: Rng, readonly tag: string,
    readonly role: string) {}
}

class Chaos {
  readonly journal: Journal;
  readonly rng: Rng;
  readonly recorded: RecordedBatch[] = [];
  context!: BrowserContext;
  page!: Page;
  proxy!: SyncProxy;
  current: Journey | null = null;
  offline = false;
  swReady = false;
  /** Page turns left before the network comes back / the server is started again (0: not in a spell). */
  offlineTurns = 0;
  downTurns = 0;
  pageTurns = 0;
  respondents = 0;
  guestCount = 0;

  constructor(readonly seed: number, readonly browser: Browser, readonly server: QuireServer) {
    this.journal = new Journal(seed);
    this.rng = new Rng(seed);
  }

  who(): string {
    return this.current?.label ?? '-';
  }

  log(what: string, j = this.current) {
    this.journal.log(j?.label ?? '-', what);
  }

  violation(j: Journey, what: string, fatal = false): void {
    this.journal.violation(j.label, what);
    if (fatal) throw new Abort(what);
  }

  // ---- network and server ----

  async setOffline(offline: boolean) {
    if (this.offline === offline) return;
    this.offline = offline;
    this.proxy.offline = offline;
    await this.context.setOffline(offline);
    this.log(offline ? 'network off' : 'network on');
  }

  async startServer() {
    if (this.server.up) return;
    await this.server.start();
    this.log('server started');
  }

  /** After each page turn: ends offline spells and server outages whose time has come. */
  async tick() {
    if (this.offlineTurns > 0 && --this.offlineTurns === 0) await this.setOffline(false);
    if (this.downTurns > 0 && --this.downTurns === 0) await this.startServer();
  }

  async restoreAll() {
    this.offlineTurns = 0;
    this.downTurns = 0;
    await this.setOffline(false);
    await this.startServer();
  }

  // ---- the browser ----

  async openContext() {
    this.context = await this.browser.newContext({ baseURL });
    this.offline = false;
    this.swReady = false;
    this.proxy = new SyncProxy(this.journal, this.recorded, () => this.who());
    await this.proxy.install(this.context);
    this.page = await this.newPage();
  }

  async newPage(): Promise<Page> {
    const page = await this.context.newPage();
    page.setDefaultTimeout(10_000);
    return page;
  }

  /** Sign in with a code on the sign-in screen (opening `/` first when needed); waits for the survey page. */
  async signIn(j: Journey, navigate: boolean) {
    if (navigate) await this.page.goto('/', { timeout: 20_000 });
    const field = this.page.getByLabel('Access code');
    const start = Date.now();
    let said = '';
    while (!await field.isVisible().catch(() => false)) {
      const body = (await this.page.locator('body').innerText().catch(() => '?')).slice(0, 100);
      if (body !== said) this.log(`waiting for the sign-in screen, the page says ${JSON.stringify(body)}`, j);
      said = body;
      if (Date.now() - start > 20_000) this.violation(j, `no sign-in screen in 20 s; the page says: ${JSON.stringify(body)}`, true);
      await sleep(200);
    }
    await field.fill(j.person.code);
    await this.page.getByRole('button', { name: 'Start' }).click();
    const shown = await this.page.waitForFunction(
      () => document.querySelector('form.page') !== null || document.querySelector('.done') !== null
        || (document.querySelector('#code-error')?.textContent ?? '') !== '',
      null, { timeout: 20_000 },
    ).then(() => true, () => false);
    const error = await this.page.evaluate(() => document.querySelector('#code-error')?.textContent ?? '').catch(() => '');
    if (!shown || (error ?? '') !== '') this.violation(j, `sign-in failed: ${error || 'nothing shown in 20 s'}`, true);
    this.log(`signed in (${j.person.code})`, j);
  }

  async waitForApp(j: Journey, why: string) {
    const ok = await this.page.waitForFunction(
      () => document.querySelector('form.page') !== null || document.querySelector('.done') !== null
        || document.querySelector('#code') !== null,
      null, { timeout: 20_000 },
    ).then(() => true, () => false);
    if (!ok) this.violation(j, `after ${why} the app showed nothing in 20 s`, true);
  }

  // ---- checks ----

  /** The screen against the journey (the oracle) and, after page turns, against IndexedDB. */
  async verify(j: Journey, why: string, withIdb: boolean) {
    const screen = await readScreen(this.page);
    if (j.finished) {
      if (!screen.done) this.violation(j, `after ${why}: expected the thank-you screen`, true);
      return;
    }
    if (screen.page !== j.pos) {
      const detail = screen.signIn ? 'the sign-in screen' : screen.done ? 'the thank-you screen' : `page ${screen.page}`;
      this.violation(j, `after ${why}: the app shows ${detail}, the survey's rules lead to ${j.pos}`, true);
    }
    this.checkVisibility(j, screen, why);
    const ev = evaluate(survey, j.entered);
    const mine = nonEmpty(j.entered[j.pos]);
    let held: Record<string, Answer> | null = null;
    if (withIdb) {
      // The app writes IndexedDB after it draws: give a write in flight a moment before calling it a difference.
      const visible = screen.questions.filter((q) => ev.questionVisible[q.id]);
      for (let attempt = 0; attempt < 4; attempt++) {
        const idb = await readIdb(this.page);
        held = nonEmpty(idb.answers[`${j.person.id}/${j.pos}`]?.answers);
        if (visible.every((q) => canon(q.value) === canon(held![q.id] ?? null))) break;
        await sleep(250);
      }
    }
    const page = survey.pages.find((p) => p.id === j.pos)!;
    for (const sq of screen.questions) {
      if (!ev.questionVisible[sq.id]) continue;
      const want = mine[sq.id] ?? null;
      if (canon(sq.value) !== canon(want)) {
        this.violation(j, `after ${why}: ${j.pos}.${sq.id} shows ${canon(sq.value)}, the respondent's last entry was ` +
          `${canon(want)}`);
        // Put the respondent's value back, so that one lost value does not cascade into every later check.
        const q = page.questions.find((x) => x.id === sq.id)!;
        await this.setAnswer(j, q, want, 'restore').catch(() => {});
      }
      if (held !== null && canon(sq.value) !== canon(held[sq.id] ?? null)) {
        this.violation(j, `after ${why}: ${j.pos}.${sq.id} shows ${canon(sq.value)}, IndexedDB holds ` +
          `${canon(held[sq.id] ?? null)}`);
      }
    }
    const next = nextPage(survey, j.entered, j.pos);
    const want = next === null ? 'Finish' : 'Next';
    if (screen.submit !== want) this.violation(j, `on ${j.pos} the button says ${screen.submit}, expected ${want}`);
    const first = previousPage(survey, j.entered, j.pos) === null;
    if (screen.backHidden !== first) this.violation(j, `on ${j.pos} Back is ${screen.backHidden ? 'hidden' : 'shown'}`);
  }

  /** Questions the rules hide are hidden on screen, and the others shown (waits briefly for the DOM to follow). */
  checkVisibility(j: Journey, screen: Screen, why: string) {
    const ev = evaluate(survey, j.entered);
    const wrong = screen.questions.filter((q) => q.hidden === ev.questionVisible[q.id]);
    if (wrong.length) {
      const list = wrong.map((q) => `${q.id} is ${q.hidden ? 'hidden' : 'shown'}`).join(', ');
      this.violation(j, `after ${why} on ${j.pos}: ${list}, but the rules over active answers say the opposite ` +
        `(active: ${canon(ev.byQuestion)})`, true);
    }
  }

  async waitVisibility(j: Journey, why: string) {
    const ev = evaluate(survey, j.entered);
    const page = survey.pages.find((p) => p.id === j.pos)!;
    const hidden = Object.fromEntries(page.questions.map((q) => [q.id, !ev.questionVisible[q.id]]));
    await this.page.waitForFunction((hidden) => {
      const qs = [...document.querySelectorAll<HTMLElement>('form.page .q')];
      return qs.length > 0 && qs.every((q) => q.hidden === hidden[q.dataset.question ?? '']);
    }, hidden, { timeout: 2_000 }).catch(() => {});
    this.checkVisibility(j, await readScreen(this.page), why);
  }

  // ---- answering ----

  textFor(j: Journey, q: Question, r: Rng): string {
    let text = `${j.tag} ${r.pick(WORDS)} ${r.int(1, 99)}`;
    if (q.multiline && r.chance(0.3)) text += `\n${r.pick(WORDS)}`;
    if (r.chance(0.1)) text = `  ${text} `;
    // At most 30 UTF-16 units: within every max_length here, whichever way a length is counted.
    let out = '';
    for (const ch of text) {
      if (out.length + ch.length > Math.min(q.max_length ?? 30, 30)) break;
      out += ch;
    }
    return out;
  }

  /** A random valid answer; null for "clear it" (optional questions only, when `mayClear`). */
  valueFor(j: Journey, q: Question, mayClear: boolean, avoid?: Answer, r: Rng = j.rng): Answer | null {
    const codes = (q.choices ?? []).map((c) => c.code);
    const different = (xs: string[], cur: string | undefined) => {
      const others = xs.filter((x) => x !== cur);
      return r.pick(others.length ? others : xs);
    };
    if (mayClear && !q.required && q.type !== 'single_choice' && q.type !== 'likert' && r.chance(0.3)) {
      if (q.type === 'free_text' && r.chance(0.4)) return { text: ' '.repeat(r.int(1, 3)) };
      return null;
    }
    switch (q.type) {
      case 'single_choice':
      case 'dropdown': {
        if (q.id === 'role' && !avoid) return { choice: j.role };
        return { choice: different(codes, avoid && 'choice' in avoid ? avoid.choice : undefined) };
      }
      case 'multiple_choice': {
        const max = Math.min(q.max_selected ?? codes.length, codes.length);
        const min = Math.max(q.min_selected ?? 1, 1);
        for (let tries = 0; tries < 5; tries++) {
          const n = r.int(min, max);
          const pool = [...codes];
          const chosen = new Set<string>();
          while (chosen.size < n) chosen.add(pool.splice(Math.floor(r.next() * pool.length), 1)[0]);
          const value = { choices: codes.filter((c) => chosen.has(c)) };
          if (!avoid || canon(value) !== canon(avoid)) return value;
        }
        return { choices: [codes[0]] };
      }
      case 'likert': {
        const scale = (q.scale ?? []).map((c) => c.code);
        const rows = (q.statements ?? []).map((s) => s.id).filter((_, i) => q.required || i === 0 || r.chance(0.6));
        return { matrix: Object.fromEntries(rows.map((s) => [s, r.pick(scale)])) };
      }
      case 'free_text':
        return { text: this.textFor(j, q, r) };
      case 'number': {
        const lo = q.min ?? 0;
        const hi = q.max ?? lo + 100;
        let n = r.int(lo, hi);
        if (!q.integer && r.chance(0.3) && n < hi) n += 0.5;
        if (avoid && 'number' in avoid && avoid.number === n) n = n === lo ? hi : lo;
        return { number: n };
      }
    }
  }

  /** Enters a value the way a respondent does (clicks, typing, choosing) and records it as the journey's last entry. */
  async setAnswer(j: Journey, q: Question, value: Answer | null, why = 'set') {
    const p = this.page;
    const box = `.q[data-question="${q.id}"]`;
    const pageId = j.pos;
    if (value === null && (q.type === 'single_choice' || q.type === 'likert')) {
      this.log(`${why} ${pageId}.${q.id}: a ${q.type} answer cannot be cleared on screen`, j);
      return;
    }
    let recorded: Answer | null = value;
    try {
      switch (q.type) {
        case 'single_choice':
          if (value && 'choice' in value) await p.locator(`${box} input[type=radio][value="${value.choice}"]`).check();
          break;
        case 'multiple_choice': {
          const want = new Set(value && 'choices' in value ? value.choices : []);
          const codes = (q.choices ?? []).map((c) => c.code);
          for (const c of codes) if (!want.has(c)) await p.locator(`${box} input[type=checkbox][value="${c}"]`).setChecked(false);
          for (const c of codes) if (want.has(c)) await p.locator(`${box} input[type=checkbox][value="${c}"]`).setChecked(true);
          recorded = want.size ? { choices: codes.filter((c) => want.has(c)) } : null;
          break;
        }
        case 'likert': {
          if (!value || !('matrix' in value)) break;
          for (const [sid, code] of Object.entries(value.matrix)) {
            await p.locator(`${box} input[name="q-${q.id}-${sid}"][value="${code}"]`).check();
          }
          const before = j.entered[pageId]?.[q.id];
          recorded = { matrix: { ...(before && 'matrix' in before ? before.matrix : {}), ...value.matrix } };
          break;
        }
        case 'free_text':
          await p.locator(`#q-${q.id}`).fill(value && 'text' in value ? value.text : '');
          break;
        case 'number':
          await p.locator(`#q-${q.id}`).fill(value && 'number' in value ? String(value.number) : '');
          break;
        case 'dropdown':
          await p.locator(`#q-${q.id}`).selectOption(value && 'choice' in value ? value.choice : '');
          break;
      }
    } catch (e) {
      this.violation(j, `cannot answer ${pageId}.${q.id} (${why}): ${String(e).split('\n')[0]}`, true);
    }
    const answers = (j.entered[pageId] ??= {});
    if (recorded === null) delete answers[q.id];
    else answers[q.id] = recorded;
    this.log(`${why} ${pageId}.${q.id} = ${canon(recorded)}`, j);
  }

  /** One pass over the page in order (answers open and close later questions of the same page). */
  async fillPass(j: Journey, flip: boolean, onlyRequired: boolean) {
    const r = j.rng;
    const page = survey.pages.find((p) => p.id === j.pos)!;
    const flips = FLIPS[page.id] ?? [];
    for (const q of page.questions) {
      const ev = evaluate(survey, j.entered);
      if (!ev.questionVisible[q.id]) continue;
      const active = ev.byQuestion[q.id];
      const entered = j.entered[page.id]?.[q.id];
      const incomplete = q.required && (!active || (q.type === 'likert' && 'matrix' in active
        && (q.statements ?? []).some((s) => !(s.id in active.matrix))));
      let value: Answer | null | undefined;
      if (incomplete) value = this.valueFor(j, q, false);
      else if (onlyRequired) continue;
      else if (flip && flips.includes(q.id)) value = this.valueFor(j, q, true, entered);
      else if (!entered && r.chance(0.55)) value = this.valueFor(j, q, false);
      else if (r.chance(0.15)) value = this.valueFor(j, q, true, entered);
      if (value === undefined) continue;
      await this.setAnswer(j, q, value, flip && flips.includes(q.id) ? 'flip' : 'set');
      await this.waitVisibility(j, `answering ${q.id}`);
    }
  }

  /** Answers the page: every visible required question without an active answer, some optional ones, some changes;
   * on a page chosen for a flip, changes the answers other conditions read. */
  async fillPage(j: Journey) {
    const r = j.rng;
    const page = survey.pages.find((p) => p.id === j.pos)!;
    const flips = FLIPS[page.id] ?? [];
    const pass = (flip: boolean, onlyRequired: boolean) => this.fillPass(j, flip, onlyRequired);
    await pass(j.flipHere, false);
    j.flipHere = false;
    // Sometimes change one's mind on the spot: flip a rule and flip it back (hidden answers must come back).
    if (flips.length && r.chance(0.2)) {
      const flipped = r.pick(flips);
      const q = page.questions.find((x) => x.id === flipped)!;
      if (evaluate(survey, j.entered).questionVisible[q.id]) {
        const was = j.entered[page.id]?.[q.id] ?? null;
        await this.setAnswer(j, q, this.valueFor(j, q, true, was ?? undefined), 'flip');
        await this.waitVisibility(j, `flipping ${q.id}`);
        if (was && r.chance(0.6)) {
          await this.setAnswer(j, q, was, 'flip back');
          await this.waitVisibility(j, `flipping ${q.id} back`);
        }
      }
    }
    await pass(false, true);
    // Everything visible shows the last entry (hidden answers that came back included).
    await this.verify(j, 'answering', false);
  }

  // ---- moving ----

  async turn(j: Journey, dir: 'next' | 'back') {
    const from = j.pos;
    const target = dir === 'next' ? nextPage(survey, j.entered, from) : previousPage(survey, j.entered, from);
    if (dir === 'next') {
      const missing = missingRequired(survey, j.entered, from);
      if (missing.length) throw new Error(`the journey left required questions unanswered: ${missing.join(', ')}`);
      await this.page.locator('form.page button[type=submit]').click();
    } else {
      await this.page.locator('form.page button.secondary').click();
    }
    const moved = await this.page.waitForFunction(
      (from) => (document.querySelector<HTMLElement>('form.page')?.dataset.page ?? '') !== from,
      from, { timeout: 8_000 },
    ).then(() => true, () => false);
    j.turns++;
    this.pageTurns++;
    if (!moved) {
      const errors = await this.page.locator('form.page .error').allTextContents().catch(() => []);
      this.violation(j, `${dir} from ${from} did not leave the page (expected ${target ?? 'the thank-you screen'}); ` +
        `errors on screen: ${errors.filter(Boolean).join(' | ') || 'none'}`, true);
    }
    if (target === null) {
      j.finished = true;
      const done = await this.page.getByRole('heading', { name: DONE }).waitFor({ timeout: 5_000 }).then(() => true, () => false);
      this.log(`${dir} from ${from} → finished`, j);
      if (!done) this.violation(j, `Finish on ${from} did not show the thank-you screen`, true);
    } else {
      j.pos = target;
      this.log(`${dir} from ${from} → ${target}`, j);
    }
    await this.verify(j, `${dir} from ${from}`, true);
  }

  /** One step: check, maybe a fault, answer, maybe a fault, then Next or Back. */
  async step(j: Journey, faults: boolean) {
    const r = j.rng;
    if (faults) await this.maybeFault(j, FAULT_RATE);
    if (j.backTo !== null && j.backTo !== j.pos && !this.earlierPages(j).includes(j.backTo)) j.backTo = null;
    if (j.backTo === null || j.backTo === j.pos) {
      if (j.backTo === j.pos) {
        j.backTo = null;
        j.flipHere = true;
      }
      await this.fillPage(j);
    }
    if (faults) await this.maybeFault(j, FAULT_RATE);
    if (j.backTo !== null) return this.turn(j, 'back');
    // A fault may have changed an answer (typing before a reload) that makes a required question appear.
    await this.fillPass(j, false, true);
    const earlier = this.earlierPages(j);
    if (earlier.length && j.revisits < MAX_REVISITS && j.turns < MAX_TURNS - 15 && r.chance(0.3)) {
      // Go back to change something: a page whose answers flip skip rules, or just the page before.
      const flippable = earlier.filter((p) => FLIPS[p]);
      j.backTo = flippable.length && r.chance(0.75) ? r.pick(flippable) : earlier[earlier.length - 1];
      j.revisits++;
      this.log(`going back to ${j.backTo}`, j);
      return this.turn(j, 'back');
    }
    return this.turn(j, 'next');
  }

  /** Visible pages before the one on screen, in survey order. */
  earlierPages(j: Journey): string[] {
    const ev = evaluate(survey, j.entered);
    const index = survey.pages.findIndex((p) => p.id === j.pos);
    return survey.pages.slice(0, index).filter((p) => ev.pageVisible[p.id]).map((p) => p.id);
  }

  // ---- faults ----

  async maybeFault(j: Journey, p: number) {
    const r = j.rng;
    if (!r.chance(p)) return;
    let kind = r.weighted({
      offline_flap: 3, offline_spell: 2, offline_reload: 2, reload_typing: 3, reload: 1, tab_close: 2,
      server_kill: 3, sync: 8, late_replay: 2, second_respondent: 1,
    });
    // Decided from the seed alone: faults that need something the journey cannot have right now fall back.
    if ((kind === 'offline_reload' || kind === 'tab_close') && !this.swReady) kind = 'offline_flap';
    if (kind === 'second_respondent' && (j.guests.length >= 1 || j.label.startsWith('g'))) kind = 'sync';
    // The fault's own parameters come from a source of their own: whatever a fault does (or falls back to), the
    // journey's next decisions stay the same for the same seed.
    await this.inject(j, kind, r.fork(kind.length));
  }

  async inject(j: Journey, kind: string, r: Rng): Promise<void> {
    switch (kind) {
      case 'offline_flap': {
        const ms = r.int(100, 1_200);
        this.journal.fault(kind, j.label, `${ms} ms`);
        const was = this.offline;
        await this.setOffline(true);
        await sleep(ms);
        if (!was) await this.setOffline(false);
        return;
      }
      case 'offline_spell': {
        const turns = r.int(1, 3);
        this.journal.fault(kind, j.label, `${turns} page turns`);
        await this.setOffline(true);
        this.offlineTurns = Math.max(this.offlineTurns, turns);
        return;
      }
      case 'offline_reload': {
        const turns = r.int(0, 1);
        this.journal.fault(kind, j.label, turns ? 'offline for one more turn' : '');
        await this.setOffline(true);
        await this.reload(j, kind);
        if (turns === 0 && this.offlineTurns === 0) await this.setOffline(false);
        else this.offlineTurns = Math.max(this.offlineTurns, 1);
        return;
      }
      case 'reload_typing': {
        // Answer a visible question (mostly typing into a text or number box) and reload at once: the entry must
        // survive, though the draft delay (400 ms) has not passed.
        const ev = evaluate(survey, j.entered);
        const page = survey.pages.find((p) => p.id === j.pos)!;
        const visible = page.questions.filter((q) => ev.questionVisible[q.id]);
        const typed = visible.filter((q) => q.type === 'free_text' || q.type === 'number');
        const wait = r.int(0, 250);
        const pool = typed.length && r.chance(0.7) ? typed : visible;
        const q = pool.length ? r.pick(pool) : null;
        const value = q ? this.valueFor(j, q, false, j.entered[j.pos]?.[q.id], r) : null;
        if ((this.offline || !this.server.up) && !this.swReady) return this.inject(j, 'offline_flap', r);
        this.journal.fault(kind, j.label, q ? `${q.id}, reload ${wait} ms after typing` : 'nothing to type here');
        if (q) await this.setAnswer(j, q, value, 'type');
        await sleep(wait);
        await this.reload(j, kind);
        return;
      }
      case 'reload': {
        if ((this.offline || !this.server.up) && !this.swReady) return this.inject(j, 'offline_flap', r);
        this.journal.fault(kind, j.label);
        await this.reload(j, kind);
        return;
      }
      case 'tab_close': {
        // 0–300 ms after the last entry: every change is in IndexedDB's hands at once (the app asks for the commit in
        // the input's own task), so even a close right after typing loses nothing (e2e/tests/loss-window.spec.ts).
        const settle = r.int(0, 300);
        this.journal.fault(kind, j.label, `after ${settle} ms`);
        await sleep(settle);
        await this.page.close();
        this.log('tab closed');
        this.page = await this.newPage();
        await this.page.goto('/', { timeout: 20_000 });
        this.log('new tab open');
        await this.signIn(j, false);
        await this.verify(j, 'tab close and sign-in again', true);
        return;
      }
      case 'server_kill': {
        const turns = r.int(0, 2);
        const ms = r.int(100, 1_500);
        this.journal.fault(kind, j.label, turns ? `down for ${turns} page turns` : `down for ${ms} ms`);
        await this.server.kill();
        this.log('server SIGKILLed');
        if (turns === 0 && this.downTurns === 0) {
          await sleep(ms);
          await this.startServer();
        } else {
          this.downTurns = Math.max(this.downTurns, turns);
        }
        return;
      }
      case 'sync': {
        const which = r.weighted<SyncFault>({
          sync_abort: 2, sync_lost_reply: 2, sync_delay: 2, sync_503: 2, sync_500: 1, sync_twice: 2,
        });
        const count = r.int(1, 3);
        const delay = r.int(300, 2_500);
        this.log(`armed ${count} × ${which}`);
        this.proxy.arm(which, count, delay);
        return;
      }
      case 'late_replay': {
        const pick = r.next();
        if (this.recorded.length === 0 || !this.server.up) {
          this.log(`late replay: ${this.server.up ? 'nothing acknowledged yet' : 'the server is down'}; skipped`);
          return;
        }
        const batch = this.recorded[Math.floor(pick * this.recorded.length)];
        const result = await replay(batch);
        if (!result) {
          this.log('late replay: server unreachable');
          return;
        }
        this.journal.fault(kind, j.label, `revisions ${batch.revisions.join(',')} of ${batch.respondent.slice(0, 8)}: ` +
          `${result.status} ${result.acks.join(',')}`);
        if (result.status >= 400 && result.status < 500 && result.status !== 429) {
          this.violation(j, `a late replay of an acknowledged batch was refused with ${result.status}`);
        }
        if (result.acks.includes('stored')) {
          this.violation(j, `a late replay of an acknowledged batch (revisions ${batch.revisions.join(',')}) was ` +
            `stored again: ${result.acks.join(',')}`);
        }
        return;
      }
      case 'second_respondent':
        return this.secondRespondent(j, r);
    }
  }

  async reload(j: Journey, why: string) {
    await this.page.reload({ timeout: 20_000 }).catch((e) => this.violation(j, `reload failed: ${String(e).split('\n')[0]}`, true));
    await this.waitForApp(j, why);
    await this.verify(j, why, true);
  }

  /** Sign out, a second person answers a few pages on this browser and signs out, the first signs in again. */
  async secondRespondent(j: Journey, r: Rng) {
    await this.restoreAll();
    this.journal.fault('second_respondent', j.label);
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    await this.page.getByLabel('Access code').waitFor();
    this.log('signed out', j);
    const [person] = newPeople(1, `s${this.seed}g`);
    this.guestCount++;
    const g = new Journey(`g${this.guestCount}`, person, r.fork(1), `s${this.seed}g${this.guestCount}`, r.pick(['s', 't', 'p']));
    j.guests.push(g);
    const outer = this.current;
    this.current = g;
    try {
      await this.signIn(g, false);
      await this.verify(g, 'sign-in', true);
      const turns = g.rng.int(1, 3);
      for (let i = 0; i < turns && !g.finished; i++) await this.step(g, false);
      // Leaves with answers typed on the page on screen: Sign out must keep them.
      if (!g.finished) await this.fillPage(g);
    } catch (e) {
      g.aborted = true;
      if (!(e instanceof Abort)) this.violation(g, `error: ${String(e).split('\n')[0]}`);
    } finally {
      this.current = outer;
    }
    if (!g.finished) {
      await this.page.getByRole('button', { name: 'Sign out' }).click();
    } else {
      await this.page.getByRole('button', { name: 'Done — next person' }).click();
    }
    this.log(`${g.label} signed out`, j);
    await this.signIn(j, false);
    await this.verify(j, 'the second respondent and signing in again', true);
  }

  // ---- one respondent, from sign-in to the oracle ----

  async respondent(index: number) {
    const [person] = newPeople(1, `s${this.seed}`);
    const r = this.rng.fork(index + 1);
    const j = new Journey(`r${index + 1}`, person, r, `s${this.seed}r${index + 1}`, r.pick(['s', 's', 't', 'p']));
    this.current = j;
    this.respondents++;
    await this.openContext();
    try {
      await this.signIn(j, true);
      this.swReady = await this.page.waitForFunction(() => navigator.serviceWorker.controller !== null, null,
        { timeout: 15_000 }).then(() => true, () => false);
      if (!this.swReady) this.log('service worker not in control: no offline reloads for this respondent');
      await this.verify(j, 'sign-in', true);
      while (!j.finished) {
        if (j.turns >= MAX_TURNS) this.violation(j, `still not finished after ${MAX_TURNS} page turns`, true);
        await this.step(j, true);
        await this.tick();
      }
    } catch (e) {
      j.aborted = true;
      if (!(e instanceof Abort)) this.violation(j, `error: ${String(e).split('\n')[0]}`);
    }
    await this.settle(j);
    this.oracle(j);
    for (const g of j.guests) this.oracle(g);
    this.proxy.disarm();
    await this.context.close().catch(() => {});
    this.current = null;
  }

  /** Everything back to normal, then wait (bounded) until the app says all is sent and the outbox is empty. */
  async settle(j: Journey) {
    await this.restoreAll();
    if (j.finished) {
      await this.page.locator('.done p[data-synced="true"]').waitFor({ timeout: 5_000 }).catch(() => {});
    } else {
      await sleep(600); // the last entry's draft
    }
    const start = Date.now();
    let lastKick = start;
    let seen = { outbox: [] as string[], status: null as string | null, pending: null as string | null };
    for (;;) {
      const screen = await readScreen(this.page).catch(() => null);
      const idb = await readIdb(this.page).catch(() => null);
      seen = { outbox: idb?.outbox ?? ['?'], status: screen?.status ?? null, pending: screen?.pending ?? null };
      const statusOk = screen === null || screen.status === null || (screen.pending === '0' && screen.status === 'All answers saved');
      if (idb && idb.outbox.length === 0 && statusOk) break;
      if (Date.now() - start > SETTLE_MS) {
        this.violation(j, `not everything was sent ${SETTLE_MS / 1000} s after the faults ended: outbox ` +
          `${JSON.stringify(seen.outbox)}, status "${seen.status}", pending ${seen.pending}`);
        return;
      }
      // A backoff after many failures can be 30 s long; the browser's `online` event ends it (as on a real device).
      if (Date.now() - lastKick > 4_000) {
        lastKick = Date.now();
        this.log('nudge: network off and on (online event)');
        await this.setOffline(true);
        await this.setOffline(false);
      }
      await sleep(250);
    }
    this.log(`settled in ${Date.now() - start} ms${this.proxy.armed ? `; ${this.proxy.armed} armed faults unused` : ''}`, j);
    if (j.finished) {
      const synced = await this.page.evaluate(() => document.querySelector<HTMLElement>('.done p[data-synced]')?.dataset.synced ?? null)
        .catch(() => null);
      if (synced !== 'true') this.violation(j, `the thank-you screen says data-synced=${synced} with an empty outbox`);
      // The server has a finished survey: nothing of this respondent stays on a shared computer.
      const id = j.person.id;
      let left: string[] = [];
      for (let i = 0; i < 12; i++) {
        const idb = await readIdb(this.page).catch(() => null);
        left = idb ? [...Object.keys(idb.answers), ...idb.outbox, ...idb.sessions].filter((k) => k.startsWith(id)) : ['?'];
        if (left.length === 0) break;
        await sleep(250);
      }
      if (left.length) this.violation(j, `finished and all sent, yet the browser still holds ${JSON.stringify(left)}`);
    }
  }

  /** PostgreSQL against the journey: current answers, completion, quarantine, no text of anyone else. */
  oracle(j: Journey) {
    const id = j.person.id;
    const ev = evaluate(survey, j.entered);
    const current = serverCurrent(id);
    const note = j.aborted ? ' (journey aborted earlier)' : '';
    for (const page of survey.pages) {
      const want = ev.active[page.id] ?? {};
      const got = current[page.id] ?? {};
      if (canon(got) !== canon(want)) {
        const hidden = !ev.pageVisible[page.id] ? ' (page hidden by skip logic)' : '';
        this.violation(j, `server's current answers of ${page.id}${hidden} are ${canon(got)}, the active answers are ` +
          `${canon(want)}${note}`);
      }
    }
    for (const p of Object.keys(current)) {
      if (!survey.pages.some((x) => x.id === p)) this.violation(j, `server has current answers of unknown page ${p}`);
    }
    const completed = serverCompleted(id);
    const missing = missingRequired(survey, j.entered);
    if (j.finished && !completed) this.violation(j, `finished on screen, but respondent_progress.completed_at is not set${note}`);
    if (!j.finished && completed) this.violation(j, `completed_at is set, but the journey did not finish${note}`);
    if (completed && missing.length) {
      this.violation(j, `completed with visible required questions unanswered: ${missing.join(', ')}`);
    }
    for (const row of quarantineRows(id)) this.violation(j, `quarantined: ${row}`);
    for (const text of storedTexts(id)) {
      if (!text.includes(j.tag)) this.violation(j, `a text stored under ${j.label} is not theirs: ${JSON.stringify(text)}`);
    }
    this.log(`oracle done: ${Object.keys(ev.active).length} pages with active answers, completed=${completed}`, j);
  }

  async run() {
    for (let i = 0; i < RESPONDENTS; i++) await this.respondent(i);
  }
}

let server: QuireServer;

test.beforeAll(async () => {
  server = new QuireServer();
  await server.start();
});

test.afterAll(async () => {
  await server?.kill();
});

for (const seed of seeds) {
  test(`chaos seed ${seed}`, async ({ browser }) => {
    const chaos = new Chaos(seed, browser, server);
    let error: unknown;
    try {
      await chaos.run();
    } catch (e) {
      error = e;
      chaos.journal.violation(chaos.who(), `harness error: ${String(e).split('\n')[0]}`);
    } finally {
      await server.start().catch(() => {});
    }
    const j = chaos.journal;
    const ok = j.violations.length === 0;
    const summary = `seed ${seed}: ${chaos.respondents} respondents (+${chaos.guestCount}), ${chaos.pageTurns} page turns, ` +
      `${j.totalFaults()} faults ${JSON.stringify(j.faults)}`;
    writeResult({ seed, ok, respondents: chaos.respondents, guests: chaos.guestCount, pageTurns: chaos.pageTurns,
      faults: j.faults, violations: j.violations }, `${summary}\n\n${j.violations.join('\n')}\n\n${j.render()}`);
    console.log(summary);
    if (!ok) {
      console.log(`\n==== chaos seed ${seed} FAILED (replay: scripts/chaos.sh ${seed}) ====\n${j.render()}\n`);
      throw new Error(`chaos seed ${seed}: ${j.violations.length} violation(s) (replay: scripts/chaos.sh ${seed})\n` +
        j.violations.slice(0, 40).join('\n') + (error ? `\n${String(error)}` : ''));
    }
  });
}

