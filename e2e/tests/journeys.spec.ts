// The respondent journeys of issue 3, against the real server and PostgreSQL: whatever the network and the server do,
// every answer given ends up in the database exactly once.
import { type ChildProcess, spawn } from 'node:child_process';
import { expect, test } from '@playwright/test';
import {
  allSaved, answerPages, currentAnswers, expectStored, finishedAndSynced, localData, newRespondents, respondentId,
  serviceWorkerReady, signIn,
} from './helpers';

test('1. a full survey with every question kind arrives in PostgreSQL exactly once', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  const given = await answerPages(page, 1);
  const shapes = new Set(Object.values(given).flatMap((p) => Object.values(p)).flatMap((a) => Object.keys(a)));
  expect([...shapes].sort()).toEqual(['choice', 'choices', 'matrix', 'number', 'text']);
  expect(given.about.grade).toBeDefined(); // the dropdown
  expect(given.bullying_details).toBeDefined(); // a page shown by skip logic
  expect(given.teacher_01).toBeUndefined(); // and one hidden by it
  await finishedAndSynced(page);
  expectStored(code, given);
});

test('2. offline after page 3: finish offline, reload offline, reconnect: everything arrives once', async ({ page, context }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  await serviceWorkerReady(page);
  const given = await answerPages(page, 2, 3);
  await allSaved(page);
  const id = respondentId(code);

  await context.setOffline(true);
  await answerPages(page, 2, 10, given);
  await expect(page.locator('p.sync')).toHaveText('Saved on this computer — will send when the connection is back');
  const onScreen = await page.locator('form.page').getAttribute('data-page');
  const reload = await page.reload();
  expect(reload?.fromServiceWorker()).toBe(true);
  await expect(page.locator('form.page')).toHaveAttribute('data-page', onScreen ?? '');
  await answerPages(page, 2, Infinity, given);
  await expect(page.locator('.done p[data-synced]')).toHaveAttribute('data-synced', 'false');
  await expect(page.locator('.done p[data-synced]')).toContainText('saved on this computer');
  expect(Object.keys(currentAnswers(id)).sort()).toEqual(Object.keys(given).slice(0, 3).sort());

  await context.setOffline(false);
  await finishedAndSynced(page);
  expectStored(code, given);
  // The server has it all: nothing of this respondent stays on the (shared) computer.
  expect(Object.values(await localData(page)).flat().filter((k) => k.startsWith(id))).toEqual([]);
});

test.describe('3. the server is killed mid-survey', () => {
  const port = Number(process.env.E2E_PORT ?? '18080') + 1;
  test.use({ baseURL: `http://127.0.0.1:${port}` });
  let server: ChildProcess | undefined;

  async function start() {
    server = spawn(process.env.QUIRE_BIN ?? `${__dirname}/../../target/release/quire`, ['serve'], {
      env: {
        ...process.env,
        DATABASE_URL: process.env.E2E_DATABASE_URL ?? '',
        QUIRE_BIND: `127.0.0.1:${port}`,
        QUIRE_TOKEN_SECRET: 'e2e-secret-e2e-secret-e2e-secret-e2e',
        QUIRE_DIST_DIR: `${__dirname}/../../client/dist`,
        QUIRE_STATIC_DIR: process.env.E2E_STATIC_DIR ?? `${__dirname}/../../static`,
      },
      stdio: 'ignore',
    });
    await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => null))?.status,
      { timeout: 20_000 }).toBe(200);
  }

  test.afterEach(() => {
    server?.kill('SIGKILL');
  });

  test('and restarted a minute of test-time later: nothing lost', async ({ page }) => {
    const [code] = newRespondents(1);
    await start();
    // The page's timers run on a clock the test can move forward: the outage lasts a minute of the app's time.
    await page.clock.install();
    await signIn(page, code);
    await serviceWorkerReady(page);
    const given = await answerPages(page, 3, 4);
    await allSaved(page);

    server?.kill('SIGKILL');
    await answerPages(page, 3, 5, given);
    await expect(page.locator('p.sync')).toHaveText('Saved on this computer — will send when the connection is back');
    // A reload with the server gone: the service worker serves the app, IndexedDB the answers.
    const onScreen = await page.locator('form.page').getAttribute('data-page');
    await page.reload();
    await expect(page.locator('form.page')).toHaveAttribute('data-page', onScreen ?? '');
    await page.clock.fastForward('01:00');
    await answerPages(page, 3, 2, given);

    await start();
    // Backoff is capped at 30 s: within that much app time the next attempt goes through.
    await page.clock.fastForward('00:31');
    await allSaved(page);
    await answerPages(page, 3, Infinity, given);
    await finishedAndSynced(page);
    expectStored(code, given);
  });
});

test('4. two respondents one after the other on the same browser: no leakage, both complete', async ({ page, context }) => {
  const [a, b] = newRespondents(2);
  await signIn(page, a);
  const givenA = await answerPages(page, 4, 2);
  await allSaved(page);
  // A continues offline, then signs out: A's unsent pages stay queued under A, not lost and not shown to B.
  await context.setOffline(true);
  await answerPages(page, 4, 2, givenA);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Access code')).toHaveValue('');
  await context.setOffline(false);

  await page.getByLabel('Access code').fill(b);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'about');
  await expect(page.locator('input:checked')).toHaveCount(0);
  await expect(page.locator('#q-grade')).toHaveValue('');
  // Meanwhile A's queued pages are delivered under A's own token.
  const idA = respondentId(a);
  await expect.poll(() => Object.keys(currentAnswers(idA)).length, { timeout: 30_000 }).toBe(4);
  const givenB = await answerPages(page, 5);
  await finishedAndSynced(page);
  expectStored(b, givenB);
  await page.getByRole('button', { name: 'Done — next person' }).click();

  // A comes back to the same computer and continues where they left off, with their answers.
  await page.getByLabel('Access code').fill(a);
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'student_04');
  await page.getByRole('button', { name: 'Back' }).click();
  const previous = Object.keys(givenA)[3];
  await expect(page.locator('form.page')).toHaveAttribute('data-page', previous);
  await expect(page.locator('input:checked')).not.toHaveCount(0);
  await page.locator('form.page button[type=submit]').click();
  await answerPages(page, 4, Infinity, givenA);
  await finishedAndSynced(page);
  expectStored(a, givenA);
  const left = await localData(page);
  expect(left.sessions).toEqual([]);
  expect(left.outbox).toEqual([]);
  expect(left.answers).toEqual([]);
});

test('5. the server answers 503 with Retry-After for a while: the client backs off, then delivers everything', async ({ page }) => {
  const [code] = newRespondents(1);
  const attempts: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  await page.route('**/api/v1/sync', async (route) => {
    attempts.push(Date.now());
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (attempts.length <= 3) {
        await route.fulfill({
          status: 503,
          headers: { 'retry-after': '2', 'content-type': 'application/json' },
          body: JSON.stringify({ error: { code: 'overloaded', message: 'the server is busy; retry shortly' } }),
        });
      } else {
        await route.continue();
      }
    } finally {
      inFlight--;
    }
  });
  await signIn(page, code);
  const given = await answerPages(page, 6);
  await finishedAndSynced(page);
  expect(attempts.length).toBeGreaterThan(3);
  for (let i = 1; i <= 3; i++) {
    expect(attempts[i] - attempts[i - 1], `wait after refusal ${i}`).toBeGreaterThanOrEqual(1_900);
  }
  expect(maxInFlight).toBe(1);
  expectStored(code, given);
});
