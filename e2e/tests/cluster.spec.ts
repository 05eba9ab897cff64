// Issue 18, on the cluster of scripts/cluster.sh: the respondent app in Chromium keeps working through the SIGKILL of
// quire nodes behind the HTTP frontend, and nothing is lost. Mid-survey, the node that answered the app's last sync
// is killed while the respondent goes on answering; it is started again, and then another node that answered the last
// sync is killed the same way. At every page: what is on screen is what the app holds, whatever the app no longer has
// to send is in PostgreSQL, and no error is shown. At the end: the screen's answers are PostgreSQL's current answers,
// each save is one row, and every "All answers saved" the app showed came after PostgreSQL held what it covered.
//
// scripts/cluster-journey.sh runs it (playwright.cluster.config.ts) with what `scripts/cluster.sh env` prints, and
// E2E_DATABASE_URL set to the write port (the primary), where `quire roster` and the checks' SQL go.
import { execFileSync } from 'node:child_process';
import { expect, type Page, test } from '@playwright/test';
import {
  allSaved, expectDeliveredIsStored, expectNoErrorShown, expectScreenIsHeld, expectStored, fillPage,
  finishedAndSynced, newRespondents, pressNext, quarantined, respondentId, screenAnswers, serviceWorkerReady, signIn,
  sql, type Answers,
} from './helpers';

const clusterSh = `${__dirname}/../../scripts/cluster.sh`;
const stats = process.env.QUIRE_CLUSTER_STATS ?? '';
/** Quire node k's own address is the k-th. */
const nodeUrls = (process.env.QUIRE_CLUSTER_NODES ?? '').split(',');
const ALL_SAVED = 'All answers saved';

type Node = { k: number; url: string; up: boolean };

/** The quire nodes as HAProxy sees them (backend quire_nodes), and how often it retried or redispatched a request. */
async function haproxy(): Promise<{ nodes: Node[]; retries: number; redispatches: number }> {
  const [head, ...rows] = (await (await fetch(`${stats}/;csv`)).text()).trim().split('\n');
  const columns = head.replace(/^# /, '').split(',');
  const col = (name: string) => columns.indexOf(name);
  const ours = rows.map((r) => r.split(',')).filter((f) => f[0] === 'quire_nodes');
  const backend = ours.find((f) => f[1] === 'BACKEND') ?? [];
  return {
    nodes: ours.filter((f) => /^quire\d+$/.test(f[1])).map((f) => {
      const k = Number(f[1].slice('quire'.length));
      return { k, url: nodeUrls[k - 1], up: f[col('status')] === 'UP' };
    }),
    retries: Number(backend[col('wretr')] ?? 0),
    redispatches: Number(backend[col('wredis')] ?? 0),
  };
}

/** Sync requests each node has answered, from its own /metrics; a node that does not answer is left out. */
async function syncsAnswered(nodes: Node[]): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  for (const n of nodes) {
    const text = await fetch(`${n.url}/metrics`, { signal: AbortSignal.timeout(2_000) })
      .then((r) => r.text()).catch(() => null);
    if (text === null) continue;
    const lines = text.split('\n').filter((l) => l.startsWith('quire_http_requests_total{route="/api/v1/sync"'));
    counts.set(n.k, lines.reduce((sum, l) => sum + Number(l.split(' ').pop()), 0));
  }
  return counts;
}

/** Nodes this test killed and has not started again (started again after the test whatever happens). */
const down = new Set<number>();

function killNode(k: number) {
  execFileSync(clusterSh, ['kill-node', String(k)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
  down.add(k);
}

async function startNode(k: number) {
  execFileSync(clusterSh, ['start-node', String(k)], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
  down.delete(k);
  await expect.poll(async () => (await haproxy()).nodes.find((n) => n.k === k)?.up, { timeout: 60_000 }).toBe(true);
}

test.afterEach(async () => {
  for (const k of [...down]) await startNode(k);
});

/** Keeps, in the page, every change of the status line with its time (Date.now(), the machine's clock). */
async function recordStatusLine(page: Page) {
  await page.addInitScript(() => {
    const seen: [number, string][] = [];
    (window as unknown as { quireStatusLine: [number, string][] }).quireStatusLine = seen;
    new MutationObserver(() => {
      const text = document.querySelector('p.sync')?.textContent ?? '';
      if (text !== (seen.at(-1)?.[1] ?? '')) seen.push([Date.now(), text]);
    }).observe(document, { subtree: true, childList: true, characterData: true });
  });
}

/** The sync traffic as the page saw it: revisions sent, acks by revision, answers by status, requests that failed. */
function recordSyncs(page: Page) {
  const seen = {
    requests: 0, failed: 0, statuses: {} as Record<number, number>, sent: new Set<number>(),
    acks: new Map<number, string[]>(), reading: [] as Promise<void>[],
  };
  const isSync = (url: string) => new URL(url).pathname === '/api/v1/sync';
  page.on('request', (r) => {
    if (!isSync(r.url())) return;
    seen.requests++;
    for (const save of r.postDataJSON()?.saves ?? []) seen.sent.add(save.revision);
  });
  page.on('requestfailed', (r) => {
    if (isSync(r.url())) seen.failed++;
  });
  page.on('response', (res) => {
    if (!isSync(res.url())) return;
    seen.statuses[res.status()] = (seen.statuses[res.status()] ?? 0) + 1;
    if (res.status() !== 200) return;
    seen.reading.push(res.json().then((reply: { acks: { revision: number; status: string }[] }) => {
      for (const a of reply.acks) seen.acks.set(a.revision, [...(seen.acks.get(a.revision) ?? []), a.status]);
    }));
  });
  return seen;
}

/** The respondent on screen and what the test has seen of them. */
type Journey = {
  page: Page; id: string; seed: number; nodes: Node[]; given: Answers; finished: boolean;
  /** When each page's successor (or the thank-you screen) was on screen: its save was queued before then. */
  leftAt: Record<string, number>;
  /** Per page, the nodes that answered its syncs (`1+2` when both did), and the kills and starts between pages. */
  trace: string[];
};

/**
 * One page, as a respondent: answer it, check that the screen shows it and the app holds it, press Next; then, at
 * once and again when the status line says all is saved, that what the app has delivered is in PostgreSQL. Returns
 * the nodes that answered a sync meanwhile.
 */
async function turn(j: Journey): Promise<number[]> {
  expect(j.finished, 'the survey ended before the journey was through').toBe(false);
  const before = await syncsAnswered(j.nodes);
  const filled = await fillPage(j.page, j.seed);
  const screen = await screenAnswers(j.page);
  expect(screen).toEqual(filled);
  await expectScreenIsHeld(j.page);
  j.finished = await pressNext(j.page, screen.pageId);
  j.leftAt[screen.pageId] = Date.now();
  j.given[screen.pageId] = screen.answers;
  await expectDeliveredIsStored(j.page, j.id, j.given);
  await expectNoErrorShown(j.page);
  await allSaved(j.page);
  await expectDeliveredIsStored(j.page, j.id, j.given);
  const after = await syncsAnswered(j.nodes);
  const served = [...after].filter(([k, n]) => n > (before.get(k) ?? 0)).map(([k]) => k);
  j.trace.push(served.join('+') || '-');
  return served;
}

/**
 * Turns pages until one page's syncs were all answered by one node (not `other`); returns that node. HAProxy
 * round-robins, but a node just back up may take several requests in a row.
 */
async function lastServer(j: Journey, other?: number): Promise<number> {
  for (let tries = 0; tries < 12; tries++) {
    const served = await turn(j);
    if (served.length === 1 && served[0] !== other) return served[0];
  }
  throw new Error(`in 12 pages no sync was answered by one node alone${other ? ` other than ${other}` : ''}`);
}

test('the node that answered the last sync is SIGKILLed mid-survey, twice: the respondent goes on, nothing is lost', async ({ page }) => {
  const start = await haproxy();
  const nodes = start.nodes.filter((n) => n.up);
  expect(nodes.length, 'quire nodes up behind the frontend').toBeGreaterThanOrEqual(2);
  const [code] = newRespondents(1);
  await recordStatusLine(page);
  const traffic = recordSyncs(page);
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && m.text().startsWith('quire:')) problems.push(m.text());
  });

  await signIn(page, code);
  await serviceWorkerReady(page);
  const j: Journey = {
    page, id: respondentId(code), seed: 7, nodes, given: {}, finished: false, leftAt: {}, trace: [],
  };
  const kills: string[] = [];
  for (let i = 0; i < 2; i++) await turn(j);
  let previous: number | undefined;
  for (let round = 0; round < 2; round++) {
    const victim = await lastServer(j, previous);
    const afterPage = Object.keys(j.given).length;
    killNode(victim);
    j.trace.push(`[SIGKILL ${victim}]`);
    for (let i = 0; i < 4; i++) await turn(j);
    await startNode(victim);
    j.trace.push(`[${victim} up]`);
    kills.push(`${victim} after page ${afterPage}`);
    previous = victim;
  }
  while (!j.finished) await turn(j);
  await finishedAndSynced(page);
  await Promise.all(traffic.reading);
  const end = await haproxy();

  // The screen's answers are PostgreSQL's current answers; every page left with Next stored once; completed.
  expectStored(code, j.given);
  // One row per (respondent, revision); every acknowledged save is a row; no row the app did not send; none refused.
  const rows = sql(`select revision, count(*) from page_saves where respondent_id = '${j.id}' group by revision`)
    .map((r) => r.split('|').map(Number));
  expect(rows.filter(([, n]) => n !== 1)).toEqual([]);
  const stored = new Set(rows.map(([revision]) => revision));
  expect([...traffic.acks.keys()].filter((r) => !stored.has(r))).toEqual([]);
  expect([...stored].filter((r) => !traffic.sent.has(r))).toEqual([]);
  const accepted = ['stored', 'duplicate', 'superseded'];
  expect([...traffic.acks.values()].flat().filter((s) => !accepted.includes(s))).toEqual([]);
  expect(quarantined(j.id)).toEqual([]);
  // Every "All answers saved" came after PostgreSQL had stored every page left before it (received_at is the time
  // of the storing transaction's start, before its commit, before the ack).
  const storedAt = Object.fromEntries(sql(`select page_id, floor(extract(epoch from received_at) * 1000)::bigint
      from page_saves where respondent_id = '${j.id}' and not draft`).map((r) => r.split('|'))
    .map(([p, t]) => [p, Number(t)]));
  const statusLine: [number, string][] = await page.evaluate(() =>
    (window as unknown as { quireStatusLine: [number, string][] }).quireStatusLine);
  const saidSaved = statusLine.filter(([, text]) => text === ALL_SAVED).map(([t]) => t);
  expect(saidSaved.length).toBeGreaterThan(Object.keys(j.given).length / 2);
  const early = saidSaved.flatMap((t) => Object.entries(j.leftAt)
    .filter(([p, left]) => left < t && !((storedAt[p] ?? Infinity) <= t))
    .map(([p]) => `"${ALL_SAVED}" at ${t}, page ${p} stored at ${storedAt[p] ?? 'never'}`));
  expect(early).toEqual([]);
  expect(problems).toEqual([]);

  const acks: Record<string, number> = {};
  for (const s of [...traffic.acks.values()].flat()) acks[s] = (acks[s] ?? 0) + 1;
  console.log([
    `respondent ${j.id}: ${Object.keys(j.given).length} pages, ${stored.size} saves stored (one row each)`,
    `SIGKILLed node ${kills.join(', then node ')}, 4 pages answered while each was down`,
    `sync requests ${traffic.requests}: by HTTP status ${JSON.stringify(traffic.statuses)}, failed ${traffic.failed}`,
    `acks ${JSON.stringify(acks)}; "${ALL_SAVED}" shown ${saidSaved.length} times, never early`,
    `HAProxy retries ${end.retries - start.retries}, redispatches ${end.redispatches - start.redispatches}`,
    `nodes that answered each page's syncs: ${j.trace.join(' ')}`,
  ].join('\n'));
});
