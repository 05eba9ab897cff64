import { expect, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = `${__dirname}/../..`;

/** Adds fresh respondents to the demo survey through the real `quire roster` command; returns their codes. */
export function newRespondents(n: number, role = 'student', survey = 'school-climate-2026'): string[] {
  const run = `${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
  const rows = Array.from({ length: n }, (_, i) => `E2E School,1A,${role},${run}-${i},`);
  return loadRoster(['school,class,role,external_id,name', ...rows].join('\n') + '\n', survey)
    .map((r) => r.access_code);
}

/** Loads a roster CSV through the real `quire roster` command; returns what it prints: each row with its code. */
export function loadRoster(csv: string, survey = 'school-climate-2026'): Record<string, string>[] {
  const dir = mkdtempSync(join(tmpdir(), 'quire-e2e-'));
  const file = join(dir, 'roster.csv');
  writeFileSync(file, csv);
  const out = execFileSync(process.env.QUIRE_BIN ?? `${root}/target/release/quire`,
    ['roster', file, '--survey', survey],
    { env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? '' }, encoding: 'utf8' });
  const [header, ...lines] = out.trim().split('\n');
  const keys = header.split(',');
  return lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [keys[i], v])));
}

/** An answer as the shared model writes it: `{"choice":"3"}`, `{"matrix":{"s1":"4"}}`, … */
export type Answer = Record<string, unknown>;
/** Page id → question id → answer. */
export type Answers = Record<string, Record<string, Answer>>;

/** Runs SQL against the e2e database with the real `psql`; returns rows of `|`-separated fields. */
export function sql(query: string): string[] {
  const out = execFileSync('psql', [process.env.E2E_DATABASE_URL ?? '', '-AtX', '-v', 'ON_ERROR_STOP=1', '-c', query],
    { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.length > 0);
}

export function respondentId(code: string): string {
  const [id] = sql(`select id from respondents where access_code = '${code.replace(/[^A-Z0-9]/g, '')}'`);
  if (!id) throw new Error(`no respondent with code ${code}`);
  return id;
}

/** What PostgreSQL holds as the current answers of a respondent, page by page. */
export function currentAnswers(id: string): Answers {
  const rows = sql(`select c.page_id, s.answers from current_answers c
      join page_saves s on s.respondent_id = c.respondent_id and s.revision = c.revision
      where c.respondent_id = '${id}' order by c.page_id`);
  const result: Answers = {};
  for (const row of rows) {
    const bar = row.indexOf('|');
    result[row.slice(0, bar)] = JSON.parse(row.slice(bar + 1));
  }
  return result;
}

/** Pages that have more than one final (non-draft) save: each page left with Next must be stored exactly once. */
export function pagesSavedTwice(id: string): string[] {
  return sql(`select page_id from page_saves where respondent_id = '${id}' and not draft
      group by page_id having count(*) > 1`);
}

export function completed(id: string): boolean {
  return sql(`select completed_at is not null from respondent_progress where respondent_id = '${id}'`)[0] === 't';
}

/** PostgreSQL holds exactly the answers given, each page left with Next stored once, and the survey completed. */
export function expectStored(code: string, given: Answers) {
  const id = respondentId(code);
  expect(currentAnswers(id)).toEqual(given);
  expect(pagesSavedTwice(id)).toEqual([]);
  expect(completed(id)).toBe(true);
}

/**
 * Answers every visible question of the page on screen the way a respondent would (clicks and typing, which fire
 * the real input events), and returns what it gave. `seed` varies the choices between respondents.
 */
export async function fillPage(page: Page, seed = 0): Promise<{ pageId: string; answers: Record<string, Answer> }> {
  const form = page.locator('form.page');
  const pageId = (await form.getAttribute('data-page')) ?? '';
  const answers: Record<string, Answer> = await page.evaluate(async (seed) => {
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const given: Record<string, Record<string, unknown>> = {};
    const questions = () => [...document.querySelectorAll<HTMLElement>('form.page .q')];
    for (let i = 0; i < questions().length; i++) {
      await tick(); // skip logic shows or hides later questions after earlier answers
      const q = questions()[i];
      if (q.hidden) continue;
      const id = q.dataset.question ?? '';
      const kind = q.dataset.kind;
      const pick = <T>(xs: T[]) => xs[(seed + i) % xs.length];
      if (kind === 'single_choice') {
        const radios = [...q.querySelectorAll<HTMLInputElement>('input[type=radio]')];
        const r = id === 'role' ? radios[0] : id === 'bullied' ? radios[0] : pick(radios);
        r.click();
        given[id] = { choice: r.value };
      } else if (kind === 'multiple_choice') {
        const boxes = [...q.querySelectorAll<HTMLInputElement>('input[type=checkbox]')];
        const chosen = [boxes[0], boxes[boxes.length - 1]].filter((b, j, all) => all.indexOf(b) === j);
        for (const b of chosen) if (!b.checked) b.click();
        given[id] = { choices: boxes.filter((b) => b.checked).map((b) => b.value) };
      } else if (kind === 'likert') {
        const matrix: Record<string, string> = {};
        for (const [j, row] of [...q.querySelectorAll('tbody tr')].entries()) {
          const radios = [...row.querySelectorAll<HTMLInputElement>('input[type=radio]')];
          const r = radios[(seed + j) % radios.length];
          r.click();
          matrix[r.name.slice(`q-${id}-`.length)] = r.value;
        }
        given[id] = { matrix };
      } else if (kind === 'free_text') {
        const box = q.querySelector<HTMLInputElement | HTMLTextAreaElement>('input, textarea')!;
        box.value = `Answer ${seed} to ${id}: ça va, 👍`;
        box.dispatchEvent(new Event('input', { bubbles: true }));
        given[id] = { text: box.value };
      } else if (kind === 'number') {
        const box = q.querySelector<HTMLInputElement>('input')!;
        const lo = Math.max(Number(box.min || 0), 1);
        const n = Math.min(box.max ? Number(box.max) : lo + 100, lo + (seed % 7));
        box.value = String(n);
        box.dispatchEvent(new Event('input', { bubbles: true }));
        given[id] = { number: n };
      } else if (kind === 'dropdown') {
        const select = q.querySelector<HTMLSelectElement>('select')!;
        select.selectedIndex = 1 + (seed % (select.options.length - 1));
        select.dispatchEvent(new Event('change', { bubbles: true }));
        given[id] = { choice: select.value };
      }
    }
    await tick();
    // Skip logic may have hidden a question answered above: it is not sent, so not expected either.
    for (const q of questions()) if (q.hidden) delete given[q.dataset.question ?? ''];
    return given;
  }, seed);
  return { pageId, answers };
}

/** Answers the page on screen and presses Next (or Finish); waits until the next page or the final screen is shown. */
export async function answerAndContinue(page: Page, seed = 0): Promise<{ pageId: string; answers: Record<string, Answer>; last: boolean }> {
  const filled = await fillPage(page, seed);
  return { ...filled, last: await pressNext(page, filled.pageId) };
}

/** Presses Next (or Finish) on page `pageId`; waits for the next page or the final screen. True if it finished. */
export async function pressNext(page: Page, pageId: string): Promise<boolean> {
  const button = page.locator('form.page button[type=submit]');
  const last = (await button.textContent())?.trim() === 'Finish';
  await button.click();
  if (last) {
    await expect(page.getByRole('heading', { name: 'Thank you! You have finished the survey.' })).toBeVisible();
  } else {
    await expect(page.locator('form.page')).not.toHaveAttribute('data-page', pageId);
  }
  return last;
}

/** Takes the survey from the page on screen to the end (or `pages` pages); returns every answer given. */
export async function answerPages(page: Page, seed = 0, pages = Infinity, into: Answers = {}): Promise<Answers> {
  for (let n = 0; n < pages; n++) {
    const { pageId, answers, last } = await answerAndContinue(page, seed);
    into[pageId] = answers;
    if (last) break;
  }
  return into;
}

export async function signIn(page: Page, code: string) {
  await page.goto('/');
  await page.getByLabel('Access code').fill(code);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('form.page')).toBeVisible();
}

/** Waits until the service worker controls the page (it caches the app shell when it installs). */
export async function serviceWorkerReady(page: Page) {
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
}

export const adminPassword = 'e2e-admin-password';

/** Creates an administrator (with `--role coordinator --school …`, a coordinator) through `quire create-admin`. */
export function createAdmin(email: string, extra: string[] = []) {
  execFileSync(process.env.QUIRE_BIN ?? `${root}/target/release/quire`, ['create-admin', '--email', email, ...extra], {
    env: { ...process.env, DATABASE_URL: process.env.E2E_DATABASE_URL ?? '', QUIRE_ADMIN_PASSWORD: adminPassword },
  });
}

export async function signInAsAdmin(page: Page, email: string) {
  await page.goto('/admin/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(adminPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Surveys' })).toBeVisible();
}

/** Waits until the status line says the server has everything. */
export async function allSaved(page: Page, timeout = 30_000) {
  await expect(page.locator('p.sync')).toHaveText('All answers saved', { timeout });
}

/** Waits until the thank-you screen says the server has every answer, and the status line agrees. */
export async function finishedAndSynced(page: Page, timeout = 30_000) {
  await expect(page.locator('.done p[data-synced]')).toHaveAttribute('data-synced', 'true', { timeout });
  await allSaved(page, timeout);
}

/** Keys of everything the app keeps in IndexedDB, by object store. */
export async function localData(page: Page): Promise<Record<string, string[]>> {
  return page.evaluate(async () => {
    const db: IDBDatabase = await new Promise((ok, fail) => {
      const r = indexedDB.open('quire');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const out: Record<string, string[]> = {};
    for (const name of [...db.objectStoreNames]) {
      out[name] = await new Promise((ok) => {
        const r = db.transaction(name).objectStore(name).getAllKeys();
        r.onsuccess = () => ok(r.result.map(String));
      });
    }
    db.close();
    return out;
  });
}

/** The respondent signed in on this tab (the app keeps it in the tab's session storage). */
export async function tabRespondent(page: Page): Promise<string> {
  return page.evaluate(() => sessionStorage.getItem('quire.respondent') ?? '');
}

/** What IndexedDB holds for one page of the respondent on this tab: `{answers, sent, draft, revision}`, or null. */
export async function heldPage(page: Page, pageId: string): Promise<{ answers: Record<string, Answer> } | null> {
  return page.evaluate(async (pageId) => {
    const rid = sessionStorage.getItem('quire.respondent');
    const db: IDBDatabase = await new Promise((ok, fail) => {
      const r = indexedDB.open('quire');
      r.onsuccess = () => ok(r.result);
      r.onerror = () => fail(r.error);
    });
    const value: string | undefined = await new Promise((ok) => {
      const r = db.transaction('answers').objectStore('answers').get(`${rid}/${pageId}`);
      r.onsuccess = () => ok(r.result);
      r.onerror = () => ok(undefined);
    });
    db.close();
    return value ? JSON.parse(value) : null;
  }, pageId);
}

/**
 * What the page on screen shows, read from the DOM alone (not the app's state): for each visible question, the
 * answer its inputs show, in the shared model's shape; unanswered questions are left out.
 */
export async function screenAnswers(page: Page): Promise<{ pageId: string; answers: Record<string, Answer> }> {
  return page.evaluate(() => {
    const form = document.querySelector<HTMLFormElement>('form.page');
    const answers: Record<string, Record<string, unknown>> = {};
    for (const q of form ? [...form.querySelectorAll<HTMLElement>('.q')] : []) {
      if (q.hidden) continue;
      const id = q.dataset.question ?? '';
      const kind = q.dataset.kind;
      if (kind === 'single_choice') {
        const r = q.querySelector<HTMLInputElement>('input[type=radio]:checked');
        if (r) answers[id] = { choice: r.value };
      } else if (kind === 'multiple_choice') {
        const xs = [...q.querySelectorAll<HTMLInputElement>('input[type=checkbox]:checked')].map((b) => b.value);
        if (xs.length) answers[id] = { choices: xs };
      } else if (kind === 'likert') {
        const m: Record<string, string> = {};
        for (const r of q.querySelectorAll<HTMLInputElement>('input[type=radio]:checked')) {
          m[r.name.slice(`q-${id}-`.length)] = r.value;
        }
        if (Object.keys(m).length) answers[id] = { matrix: m };
      } else if (kind === 'free_text') {
        const box = q.querySelector<HTMLInputElement | HTMLTextAreaElement>('input, textarea');
        if (box && box.value.trim() !== '') answers[id] = { text: box.value };
      } else if (kind === 'number') {
        const box = q.querySelector<HTMLInputElement>('input');
        if (box && box.value !== '') answers[id] = { number: Number(box.value) };
      } else if (kind === 'dropdown') {
        const s = q.querySelector<HTMLSelectElement>('select');
        if (s && s.value !== '') answers[id] = { choice: s.value };
      }
    }
    return { pageId: form?.dataset.page ?? '', answers };
  });
}

/** The screen shows exactly what IndexedDB holds for the page on screen (for every visible question). */
export async function expectScreenIsHeld(page: Page) {
  await expect.poll(async () => {
    const screen = await screenAnswers(page);
    const held = (await heldPage(page, screen.pageId))?.answers ?? {};
    const visible = await page.locator('form.page .q:not([hidden])').evaluateAll((qs) =>
      qs.map((q) => (q as HTMLElement).dataset.question ?? ''));
    const kept = Object.fromEntries(Object.entries(held).filter(([q]) => visible.includes(q)));
    return JSON.stringify({ page: screen.pageId, answers: sortKeys(kept) }) ===
      JSON.stringify({ page: screen.pageId, answers: sortKeys(screen.answers) })
      ? 'same' : `screen ${JSON.stringify(screen)} held ${JSON.stringify(kept)}`;
  }, { timeout: 3_000 }).toBe('same');
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Whatever the app no longer has to send is in PostgreSQL: each page answered (`given`) whose save has left the outbox
 * (the app deletes it on the server's ack) is stored with those answers, and when the status line says all is saved,
 * everything is. The app is read before the database, so an ack landing in between cannot hide a lie.
 */
export async function expectDeliveredIsStored(page: Page, id: string, given: Answers) {
  const status = await page.locator('p.sync').textContent();
  const outbox = (await localData(page)).outbox.filter((k) => k.startsWith(`${id}/`));
  const waiting = new Set(outbox.map((k) => k.split('/')[1]));
  const stored = currentAnswers(id);
  const delivered = Object.keys(given).filter((p) => !waiting.has(p));
  expect(Object.fromEntries(delivered.map((p) => [p, stored[p]])), `pages out of the outbox (status "${status}")`)
    .toEqual(Object.fromEntries(delivered.map((p) => [p, given[p]])));
  if (status === 'All answers saved') expect(stored, 'the status line said all was saved').toEqual(given);
}

/** No error on screen: no alert with text (refused save, storage problem, errors on the page), no refused save
 * counted, and the respondent still on a page of the survey or its thank-you screen (not sent back to sign in). */
export async function expectNoErrorShown(page: Page) {
  await expect(page.locator('[role=alert]').filter({ hasText: /\S/ })).toHaveCount(0);
  await expect(page.locator('form.page, section.done')).toHaveCount(1);
  await expect(page.locator('p.sync')).toHaveAttribute('data-rejected', '0');
}

/** Rows of the quarantine (refused saves) of one respondent. */
export function quarantined(id: string): string[] {
  return sql(`select payload::text from quarantine where respondent_id = '${id}'`);
}

/// axe-core over the page as it is now: fails on any critical or serious violation, naming the rule and the elements.
export async function expectAccessible(page: Page) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n  ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join('\n  ')}`);
  expect(bad, `axe-core on ${page.url()}`).toEqual([]);
}

/// A screenshot for docs/admin-guide.md, taken by the journey that shows the screen (so the guide shows what runs).
export async function guideShot(page: Page, name: string) {
  await page.screenshot({ path: join(__dirname, '..', '..', 'docs', 'admin-guide', `${name}.png`), fullPage: true });
}

/** Fails naming what sticks out, when anything outside a scrolling table is wider than the screen. */
export async function fitsThePhone(page: Page) {
  const wide = await page.evaluate(() => {
    const out = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.scroll'))
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} (${Math.round(e.getBoundingClientRect().right)}px)`);
    return { overflow: document.documentElement.scrollWidth - window.innerWidth, out: out.slice(0, 5) };
  });
  expect(wide.overflow, `horizontal overflow on ${page.url()}: ${wide.out.join(', ')}`).toBeLessThanOrEqual(0);
}
