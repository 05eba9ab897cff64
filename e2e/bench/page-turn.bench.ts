// How long a page turn takes in the browser with the network off, measured two ways per turn:
//  - app: the app's own `quire-page-turn` measure, from the Next click handler to after Leptos has drawn the page;
//  - cdp: Chromium's ScriptDuration (all script on the page's thread: handler, rendering, the IndexedDB write and
//    the sync attempt) from the click until the new page is drawn and 50 ms have passed.
// Side by side in the same run: this machine's CPU, and the same CPU slowed 4× (a low-end classroom Chromebook).
// Prints a table; asserts nothing about speed (speed lives in benchmarks, not in tests).
import { expect, test } from '@playwright/test';
import { fillPage, newRespondents, signIn } from '../tests/helpers';

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5).toFixed(2), p95: q(0.95).toFixed(2), max: s[s.length - 1].toFixed(2) };
}

for (const rate of [1, 4]) {
  test(`page turns offline, CPU slowdown ${rate}x`, async ({ page, context }) => {
    const [code] = newRespondents(1);
    await signIn(page, code);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    await cdp.send('Emulation.setCPUThrottlingRate', { rate });
    await context.setOffline(true);
    const scriptSeconds = async () =>
      (await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'ScriptDuration')?.value ?? 0;
    const cdpMs: number[] = [];
    for (let i = 0; i < 30; i++) {
      const { pageId } = await fillPage(page, i);
      await page.waitForTimeout(500); // let the draft save settle so it is not counted in the turn
      const before = await scriptSeconds();
      await page.locator('form.page button[type=submit]').click();
      await expect(page.locator('form.page')).not.toHaveAttribute('data-page', pageId);
      await page.waitForTimeout(50);
      cdpMs.push((await scriptSeconds() - before) * 1000);
    }
    const appMs: number[] = await page.evaluate(() =>
      performance.getEntriesByName('quire-page-turn').map((e) => e.duration));
    const row = { cpu: `${rate}x`, app: stats(appMs), cdp: stats(cdpMs) };
    console.log(`BENCH page-turn ${JSON.stringify(row)}`);
    expect(appMs.length).toBe(30);
  });
}
