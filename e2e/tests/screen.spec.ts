// What the screen shows is what is held and then stored (issue 12): hidden answers, fresh pages, errors a respondent
// can see, refused saves shown instead of dropped. Mostly on the survey with nested skip logic
// (shared/fixtures/skip-logic.json), published beside the demo survey by scripts/test.sh.
import { expect, type Page, type Route, test } from '@playwright/test';
import {
  answerAndContinue, completed, currentAnswers, expectScreenIsHeld, heldPage, newRespondents, quarantined,
  respondentId, signIn,
} from './helpers';

const SKIP = 'skip-logic-2026';

async function next(page: Page, expected: string) {
  await page.locator('form.page button[type=submit]').click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', expected);
  await expectScreenIsHeld(page);
}

async function back(page: Page, expected: string) {
  await page.getByRole('button', { name: 'Back' }).click();
  await expect(page.locator('form.page')).toHaveAttribute('data-page', expected);
  await expectScreenIsHeld(page);
}

function q(page: Page, id: string) {
  return page.locator(`[data-question=${id}]`);
}

/** start (student, grade 7) → s_school (safe: no, why) → s_unsafe (3 days, told: yes) → s_told (a friend) → end. */
async function throughTheUnsafeBranch(page: Page) {
  await q(page, 'role').getByLabel('Student').check();
  await q(page, 'grade').locator('select').selectOption('7');
  await next(page, 's_school');
  for (const row of ['c1', 'c2']) await page.locator(`input[name=q-climate-${row}][value="2"]`).check();
  await q(page, 'safe').getByLabel('Option n').check();
  await q(page, 'why_unsafe').locator('textarea').fill('scared in the hall');
  await next(page, 's_unsafe');
  await q(page, 'days').locator('input').fill('3');
  await q(page, 'told').getByLabel('Option y').check();
  await next(page, 's_told');
  await q(page, 'who').locator('select').selectOption('friend');
  await next(page, 'end');
}

test('an answer that a change hides stops counting, is kept on the device, and comes back with the change', async ({ page }) => {
  const [code] = newRespondents(1, 'student', SKIP);
  await signIn(page, code);
  await throughTheUnsafeBranch(page);
  // Feeling safe after all: the branch closes, nested page included (it depended on an answer now hidden).
  await back(page, 's_told');
  await back(page, 's_unsafe');
  await back(page, 's_school');
  await q(page, 'safe').getByLabel('Option y').check();
  await expect(q(page, 'why_unsafe')).toBeHidden();
  await next(page, 'end');
  // And back again: what was given there is still on the device.
  await back(page, 's_school');
  await q(page, 'safe').getByLabel('Option n').check();
  await expect(q(page, 'why_unsafe').locator('textarea')).toHaveValue('scared in the hall');
  await next(page, 's_unsafe');
  await expect(q(page, 'days').locator('input')).toHaveValue('3');
  await back(page, 's_school');
  await q(page, 'safe').getByLabel('Option y').check();
  await next(page, 'end');
  await q(page, 'overall').getByLabel('Option 1').check();
  // `follow_up` asks for more after a low rating unless the respondent feels safe: hidden, so not required.
  await expect(q(page, 'follow_up')).toBeHidden();
  await page.getByRole('button', { name: 'Finish' }).click();
  await expect(page.locator('.done p[data-synced]')).toHaveAttribute('data-synced', 'true', { timeout: 30_000 });

  const id = respondentId(code);
  const stored = currentAnswers(id);
  expect(stored.s_school).toEqual({ climate: { matrix: { c1: '2', c2: '2' } }, safe: { choice: 'y' } });
  // The closed branch was saved again without its answers: they are not current answers.
  expect(stored.s_unsafe ?? {}).toEqual({});
  expect(stored.s_told ?? {}).toEqual({});
  expect(stored.end).toEqual({ overall: { choice: '1' } });
  expect(completed(id)).toBe(true);
  expect(quarantined(id)).toEqual([]);
});

test('every page turn shows exactly the answers held, for every question kind, forward and back', async ({ page }) => {
  const [code] = newRespondents(1);
  await signIn(page, code);
  const seen: string[] = [];
  for (let n = 0; n < 6; n++) {
    const { pageId } = await answerAndContinue(page, n + 3);
    seen.push(pageId);
    await expectScreenIsHeld(page);
  }
  for (const previous of seen.slice(-4).reverse()) await back(page, previous);
  for (let n = 0; n < 4; n++) {
    await page.locator('form.page button[type=submit]').click();
    await expect(page.locator('form.page')).not.toHaveAttribute('data-page', seen[seen.length - 4 + n]);
    await expectScreenIsHeld(page);
  }
});

test('never stuck: errors only about questions on screen, focus on the first, and a hidden question takes its error with it', async ({ page }) => {
  const [code] = newRespondents(1, 'student', SKIP);
  await signIn(page, code);
  await q(page, 'role').getByLabel('Teacher').check();
  await q(page, 'likes').getByLabel('Option other').check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(q(page, 'likes_other').locator('input')).toBeFocused();
  await expect(page.locator('#q-likes_other-err')).toHaveText('this question is required');
  // Unticking "other" hides the question: its error goes, and nothing hidden is marked.
  await q(page, 'likes').getByLabel('Option other').uncheck();
  await expect(q(page, 'likes_other')).toBeHidden();
  await expect(page.locator('#q-likes_other-err')).toHaveText('');
  await expect(page.locator('.q[hidden] [aria-invalid=true], .q[hidden][aria-invalid=true]')).toHaveCount(0);
  await next(page, 't_class');
});

/**
 * Lets the server store every save of a batch except a finishing one, which is refused (as the server refuses a
 * finish it finds incomplete) with an error naming `page`. The others' acks are the server's own.
 */
async function refuseTheFinish(route: Route, page: string) {
  const body = JSON.parse(route.request().postData() ?? '{}');
  const finishing = body.saves.findIndex((s: { finishes?: boolean }) => s.finishes);
  if (finishing < 0) return route.continue();
  const rest = body.saves.filter((_: unknown, i: number) => i !== finishing);
  const reply = rest.length
    ? await (await route.fetch({ postData: JSON.stringify({ ...body, saves: rest }) })).json()
    : { acks: [] };
  const acks = rest.map((_: unknown, i: number) => ({ ...reply.acks[i], index: i < finishing ? i : i + 1 }));
  acks.splice(finishing, 0, {
    index: finishing, page_id: body.saves[finishing].page_id, revision: body.saves[finishing].revision,
    status: 'rejected', errors: [{ field: `pages.${page}`, message: `page \`${page}\` is not complete` }],
  });
  await route.fulfill({ json: { acks } });
}

test('a refused save is kept, shown, and the respondent is taken to fix it; nothing claims it was sent', async ({ page }) => {
  const [code] = newRespondents(1, 'student', SKIP);
  await signIn(page, code);
  await q(page, 'role').getByLabel('Parent').check();
  await next(page, 'p_home');
  await q(page, 'kids').locator('input').fill('2');
  await next(page, 'end');
  await q(page, 'overall').getByLabel('Option 3').check();
  let refusals = 0;
  await page.route('**/api/v1/sync', async (route) => {
    if (refusals === 0 && (route.request().postData() ?? '').includes('"finishes":true')) {
      refusals += 1;
      return refuseTheFinish(route, 'p_home');
    }
    return route.continue();
  });
  await page.getByRole('button', { name: 'Finish' }).click();
  // The refusal reopens the survey on the page it names, says so, and the status never says "all saved".
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'p_home', { timeout: 30_000 });
  await expect(page.locator('p.refused')).toContainText('did not accept');
  await expect(page.locator('p.sync')).toHaveAttribute('data-rejected', '1');
  await expect(page.locator('p.sync')).toContainText('not accepted');
  const id = respondentId(code);
  expect(completed(id)).toBe(false);
  // Still on the device after a reload.
  await page.reload();
  await expect(page.locator('p.sync')).toHaveAttribute('data-rejected', '1');
  await expect(page.locator('form.page')).toHaveAttribute('data-page', 'p_home');
  expect(await heldPage(page, 'end')).not.toBeNull();
  // Going on and finishing again answers the refusal.
  await next(page, 'end');
  await page.getByRole('button', { name: 'Finish' }).click();
  await expect(page.locator('.done p[data-synced]')).toHaveAttribute('data-synced', 'true', { timeout: 30_000 });
  expect(completed(id)).toBe(true);
  expect(refusals).toBe(1);
});
