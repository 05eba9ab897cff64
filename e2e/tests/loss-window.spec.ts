// Nothing on screen can be lost by closing or reloading (issue 12): a reload and a closed tab at 0, 50, 100 and 300 ms
// after typing, after Next and after Finish (once the thank-you screen shows). LOSS_TRIES tries of each (CI: 2;
// scripts/loss-window.sh: 10); every try must keep everything.
import { expect, type BrowserContext, type Page, test } from '@playwright/test';
import { completed, currentAnswers, newRespondents, respondentId, serviceWorkerReady, signIn } from './helpers';

const TRIES = Number(process.env.LOSS_TRIES ?? '2');
const DELAYS = [0, 50, 100, 300];
const SKIP = 'skip-logic-2026';

type Ending = 'reload' | 'close';

/** Reloads the tab, or closes it and opens the app again in a new tab (which must sign in again: the tab's own
 * storage went with it; the code finds the respondent's data on this computer). */
async function interrupt(page: Page, context: BrowserContext, how: Ending, code: string): Promise<Page> {
  if (how === 'reload') {
    await page.reload();
    return page;
  }
  await page.close();
  const fresh = await context.newPage();
  await fresh.goto('/');
  await fresh.getByLabel('Access code').fill(code);
  await fresh.getByRole('button', { name: 'Start' }).click();
  return fresh;
}

/** A parent at the start of the survey: role ticked, on `start` with "other" ticked so `likes_other` shows. */
async function parentOnStart(page: Page): Promise<string> {
  const [code] = newRespondents(1, 'parent', SKIP);
  // A new person on this tab: the tab forgets who was signed in (as "Done — next person" or "Sign out" would).
  if (page.url().startsWith('http')) await page.evaluate(() => sessionStorage.clear());
  await signIn(page, code);
  await serviceWorkerReady(page);
  await page.locator('[data-question=role]').getByLabel('Parent').check();
  await page.locator('[data-question=likes]').getByLabel('Option other').check();
  return code;
}

test.describe.configure({ timeout: 600_000 });
test.use({ actionTimeout: 15_000 });

for (const how of ['reload', 'close'] as Ending[]) {
  test(`typing: ${how} at ${DELAYS.join('/')} ms after the last key keeps what was typed`, async ({ context }) => {
    let page = await context.newPage();
    const lost: string[] = [];
    for (let t = 0; t < TRIES; t++) {
      const code = await parentOnStart(page);
      for (const delay of DELAYS) {
        const text = `typed ${how} ${delay} ${t} ${Math.random().toString(36).slice(2, 8)}`;
        const box = page.locator('[data-question=likes_other] input');
        await box.fill('');
        await box.pressSequentially(text);
        if (delay) await page.waitForTimeout(delay);
        page = await interrupt(page, context, how, code);
        const after = page.locator('[data-question=likes_other] input');
        await expect(page.locator('form.page')).toHaveAttribute('data-page', 'start');
        if ((await after.inputValue()) !== text) lost.push(`${delay} ms try ${t}: ${await after.inputValue()}`);
      }
    }
    expect(lost).toEqual([]);
  });

  test(`Next: ${how} at ${DELAYS.join('/')} ms after it keeps the page left and its answers`, async ({ context }) => {
    let page = await context.newPage();
    const lost: string[] = [];
    for (let t = 0; t < TRIES; t++) {
      for (const delay of DELAYS) {
        const code = await parentOnStart(page);
        const text = `next ${how} ${delay} ${t}`;
        await page.locator('[data-question=likes_other] input').fill(text);
        await page.getByRole('button', { name: 'Next' }).click();
        if (delay) await page.waitForTimeout(delay);
        page = await interrupt(page, context, how, code);
        // Wherever the app resumes, the page left holds the answer, and it reaches the server.
        await expect(page.locator('form.page')).toBeVisible();
        const id = respondentId(code);
        const stored = await expect.poll(() => currentAnswers(id).start?.likes_other?.text ?? null, { timeout: 15_000 })
          .toBe(text).then(() => true, () => false);
        if (!stored) lost.push(`${delay} ms try ${t}`);
      }
    }
    expect(lost).toEqual([]);
  });

  test(`Finish: ${how} at ${DELAYS.join('/')} ms after the thank-you screen shows keeps the finish`, async ({ context }) => {
    let page = await context.newPage();
    const lost: string[] = [];
    for (let t = 0; t < TRIES; t++) {
      for (const delay of DELAYS) {
        const code = await parentOnStart(page);
        await page.locator('[data-question=likes]').getByLabel('Option other').uncheck();
        await page.getByRole('button', { name: 'Next' }).click();
        await page.locator('[data-question=kids] input').fill('2');
        await page.getByRole('button', { name: 'Next' }).click();
        await page.locator('[data-question=overall]').getByLabel('Option 3').check();
        // No network from here: the finish can only be delivered from what this browser kept.
        await context.setOffline(true);
        await page.getByRole('button', { name: 'Finish' }).click();
        await expect(page.getByRole('heading', { name: 'Thank you! You have finished the survey.' })).toBeVisible();
        if (delay) await page.waitForTimeout(delay);
        if (how === 'reload') {
          await page.reload();
        } else {
          await page.close();
          page = await context.newPage();
          await context.setOffline(false);
          await page.goto('/');
        }
        await context.setOffline(false);
        const id = respondentId(code);
        const done = await expect.poll(() => completed(id), { timeout: 20_000 }).toBe(true).then(() => true, () => false);
        if (!done) lost.push(`${delay} ms try ${t}`);
        if (how === 'reload') {
          await expect(page.getByRole('heading', { name: 'Thank you! You have finished the survey.' })).toBeVisible();
          await page.getByRole('button', { name: 'Done — next person' }).click();
        }
      }
    }
    expect(lost).toEqual([]);
  });
}
