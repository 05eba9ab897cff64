// How long a page turn takes in the browser with the network off, on this machine's CPU and with the same CPU slowed
// 4× (a low-end classroom Chromebook: Emulation.setCPUThrottlingRate), each turn measured by:
//  - app: the app's own `quire-page-turn` measure, from the Next click handler to after Leptos has drawn the page;
//  - cdp: Chromium's ScriptDuration (all script on the page's thread), by one of two methods:
//    - `cdp`: from a click dispatched by Chromium's own input (CDP `Input.dispatchMouseEvent`, no Playwright script
//      in the page) over a fixed 300 ms window: the handler, rendering, the IndexedDB write, the status recount and
//      the sync attempt, and nothing else;
//    - `cdp+pw` (the first version of this benchmark): from a Playwright click until Playwright sees the new page,
//      plus 50 ms. It also counts Playwright's own script in the page (its checks before the click and its polling
//      for the new page); on this machine the two methods differed by less than their run-to-run noise.
// ScriptDuration is wall time on the page's thread: on a loaded machine it grows with the load, so compare runs taken
// together. Prints a table; asserts nothing about speed (speed lives in benchmarks, not in tests).
import { expect, test, type CDPSession, type Page } from '@playwright/test';
import { fillPage, newRespondents, signIn } from '../tests/helpers';

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5).toFixed(2), p95: q(0.95).toFixed(2), max: s[s.length - 1].toFixed(2) };
}

const TURNS = 30;

// `click` opens the measuring window itself (`open`), once whatever it must do first is done: for the `cdp` method,
// Playwright's own script (scrolling the button into view, finding its box) stays outside the window.
type Click = (pageId: string, open: () => Promise<void>) => Promise<void>;

async function turns(page: Page, cdp: CDPSession, click: Click) {
  const scriptSeconds = async () =>
    (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0;
  const cdpMs: number[] = [];
  for (let i = 0; i < TURNS; i++) {
    const { pageId } = await fillPage(page, i);
    await page.waitForTimeout(500); // let the draft save settle so it is not counted in the turn
    let before = Number.NaN;
    await click(pageId, async () => {
      before = await scriptSeconds();
    });
    expect(Number.isNaN(before)).toBe(false);
    cdpMs.push((await scriptSeconds() - before) * 1000);
    await expect(page.locator('form.page')).not.toHaveAttribute('data-page', pageId);
  }
  const appMs: number[] = await page.evaluate(() =>
    performance.getEntriesByName('quire-page-turn').map((e) => e.duration));
  expect(appMs.length).toBe(TURNS);
  return { app: stats(appMs), cdp: stats(cdpMs) };
}

for (const rate of [1, 4]) {
  for (const method of ['cdp', 'cdp+pw']) {
    test(`page turns offline, CPU slowdown ${rate}x, ${method}`, async ({ page, context }) => {
      const [code] = newRespondents(1);
      await signIn(page, code);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      await cdp.send('Emulation.setCPUThrottlingRate', { rate });
      await context.setOffline(true);
      const next = page.locator('form.page button[type=submit]');
      const row = await turns(page, cdp, async (pageId, open) => {
        if (method === 'cdp+pw') {
          await open();
          await next.click();
          await expect(page.locator('form.page')).not.toHaveAttribute('data-page', pageId);
          await page.waitForTimeout(50);
          return;
        }
        await next.scrollIntoViewIfNeeded();
        const box = await next.boundingBox();
        if (!box) throw new Error('no Next button');
        await page.waitForTimeout(100); // Playwright's own script above is done before the window opens
        await open();
        const at = { x: box.x + box.width / 2, y: box.y + box.height / 2, button: 'left' as const, clickCount: 1 };
        await cdp.send('Input.dispatchMouseEvent', { type: 'mousePressed', ...at });
        await cdp.send('Input.dispatchMouseEvent', { type: 'mouseReleased', ...at });
        await page.waitForTimeout(300);
      });
      console.log(`BENCH page-turn ${JSON.stringify({ cpu: `${rate}x`, method, ...row })}`);
    });
  }
}
