// Quire's service worker: serves the app shell when the network is gone, so a reload or a reopened tab still opens
// the survey (answers and the survey file live in IndexedDB, not here).
//
// - Navigations: network first (a new release is picked up at once), the cached shell after 4 s or when offline.
// - Everything the shell references (content-hashed js/wasm/css) and published surveys: cache first; they never
//   change under the same name. The asset list is read out of index.html, which trunk minifies: quotes are optional.
// - Nothing else is touched (an allow-list, see the fetch handler): not /api/ (sync must see the real network, and
//   its acks must come from the real server), and not the admin pages or their CSV downloads.
const CACHE = 'quire-shell-v1';
// trunk prints its 64-bit content hash in hex without leading zeros: usually 16 digits, one build in 16 has 15 (and
// such a build once failed to open offline, its wasm not recognized as an asset), rarely fewer.
const HASHED = /[.\-_][0-9a-f]{8,16}[.\-_]/;
// The respondent app's own addresses. It has no client-side routes: `/?code=…` (the link on a code slip) is `/`.
const SHELL_PATHS = new Set(['/']);
// trunk writes every file index.html references at the root of dist, each with a content hash in its name.
const ASSET = /^\/[^/]+$/;
const SURVEYS = '/static/surveys/';

function isAppAsset(path) {
  return ASSET.test(path) && HASHED.test(path);
}

function assetsOf(html) {
  const urls = [...html.matchAll(/(?:href|src)=["']?(\/[^"'\s>]+)/g)].map((m) => m[1]);
  return [...new Set(urls.filter((u) => !u.startsWith('/api/')))];
}

async function storeShell(cache, response) {
  const html = await response.clone().text();
  const assets = assetsOf(html);
  await cache.addAll(assets.filter((a) => !a.startsWith('/static/')));
  await cache.put('/', response);
  // Drop assets of older releases; keep surveys (respondents may still be on an older version).
  const keep = new Set(assets.map((a) => new URL(a, self.location.origin).href));
  for (const request of await cache.keys()) {
    const url = new URL(request.url);
    if (url.pathname !== '/' && !url.pathname.startsWith('/static/') && !keep.has(url.href)) {
      await cache.delete(request);
    }
  }
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const response = await fetch('/', { cache: 'no-store' });
    if (response.ok) await storeShell(cache, response);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

async function navigate(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([
      fetch('/', { cache: 'no-store' }),
      new Promise((_, reject) => setTimeout(() => reject(new Error('slow network')), 4000)),
    ]);
    if (response.ok) {
      await storeShell(cache, response.clone());
      return response;
    }
  } catch (_) {
    // offline or too slow: the cached shell below
  }
  return (await cache.match('/')) ?? fetch(request);
}

async function asset(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request);
  if (hit) return hit;
  const response = await fetch(request);
  const path = new URL(request.url).pathname;
  if (response.ok && (isAppAsset(path) || path.startsWith(SURVEYS))) {
    await cache.put(request, response.clone());
  }
  return response;
}

// This worker's scope is the whole origin and it stays installed after the respondent leaves, so it answers only
// what belongs to the respondent app: the shell at its own addresses, the shell's assets and published surveys.
// Every other request (/admin…, its CSV downloads, /api/, /healthz, /metrics, any path added later) goes to the
// network untouched, by not calling respondWith. An allow-list, not a deny-list: a path the list forgot used to get
// the respondent app, and on a shared school computer that locked the administrators out of /admin and their
// exports (issue 13). The choice is made from the URL alone because respondWith must be called synchronously, and
// a restarted worker has nothing in memory to decide by.
self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (SHELL_PATHS.has(url.pathname)) event.respondWith(navigate(request));
  } else if (isAppAsset(url.pathname) || url.pathname.startsWith(SURVEYS)) {
    event.respondWith(asset(request));
  }
});
