/**
 * Trending: recent likes and downloads, decayed by age, through the API
 * (`trendingScore`, `sort=trendingScore`) and the home page. Days are moved
 * with the service's clock.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setSocialClock } from '../src/services/downloads-clock.js';
import { HALF_LIFE_DAYS, LIKE_WEIGHT, trendingScore } from '../src/services/trending.js';
import { api, commitVia, createRepoVia, fileOp, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

const DAY0 = '2026-05-01';
const at = (days: number): Date => new Date(Date.parse(`${DAY0}T09:00:00.000Z`) + days * 86_400_000);

test('the score: full weight today, half after the half-life, nothing after a week; likes weigh more', () => {
  assert.equal(trendingScore([{ day: '2026-05-10', downloads: 3, likes: 0 }], '2026-05-10'), 3);
  assert.equal(trendingScore([{ day: '2026-05-10', downloads: 0, likes: 1 }], '2026-05-10'), LIKE_WEIGHT);
  assert.equal(HALF_LIFE_DAYS, 2);
  assert.equal(trendingScore([{ day: '2026-05-08', downloads: 4, likes: 0 }], '2026-05-10'), 2);
  assert.equal(trendingScore([{ day: '2026-05-01', downloads: 100, likes: 5 }], '2026-05-08'), 0);
  assert.equal(trendingScore([{ day: '2026-05-11', downloads: 100, likes: 5 }], '2026-05-10'), 0, 'the future does not count');
});

for (const dialect of testDialects()) {
  describe(`trending (${dialect})`, () => {
    let hub: TestHub;
    let t: TestHub['tokens'];
    const setDay = (days: number) => setSocialClock(hub.running.hub, () => at(days));
    const download = async (repo: string, ua: string) => {
      const r = await api(`${hub.url}/${repo}/resolve/main/f.txt`, undefined, { headers: { 'user-agent': ua } });
      assert.equal(r.status, 200);
      await r.text();
    };
    // Reading the counts waits for pending counts (src/services/downloads.ts).
    const settle = async (repo: string) => assert.equal((await api(`${hub.url}/api/models/${repo}/downloads`)).status, 200);
    const trending = async () =>
      (await json(await api(`${hub.url}/api/models?author=alice&sort=trendingScore&expand=trendingScore`))).map((r: { id: string; trendingScore: number }) => [r.id, r.trendingScore]);

    before(async () => {
      hub = await startTestHub({ dialect });
      t = hub.tokens;
      for (const name of ['old-hit', 'liked', 'fresh', 'quiet']) {
        assert.equal((await createRepoVia(hub, t.alice, name)).status, 200);
        assert.equal((await commitVia(hub, t.alice, `alice/${name}`, [fileOp('f.txt', name)])).status, 200);
      }
    });
    after(() => hub.close());

    test('recent activity ranks first, and fades', async () => {
      // Five days ago: three clients downloaded old-hit.
      setDay(-5);
      for (const ua of ['a', 'b', 'c']) await download('alice/old-hit', ua);
      await settle('alice/old-hit');
      // Today: bob likes `liked`, one client downloads `fresh`.
      setDay(0);
      assert.equal((await api(`${hub.url}/api/models/alice/liked/like`, t.bob, { method: 'POST' })).status, 200);
      await download('alice/fresh', 'd');
      await settle('alice/fresh');
      assert.deepEqual(await trending(), [
        ['alice/liked', 10],
        ['alice/fresh', 1],
        ['alice/old-hit', 1], // 3 × 0.5^(5/2) ≈ 0.53
        ['alice/quiet', 0],
      ]);
      assert.equal((await json(await api(`${hub.url}/api/models/alice/liked`))).trendingScore, 10);

      // Three days later the like has decayed (10 × 0.5^1.5 ≈ 3.5), old-hit is out of the window.
      setDay(3);
      const later = await trending();
      assert.deepEqual(later.slice(0, 2), [['alice/liked', 4], ['alice/fresh', 0]]);
      assert.deepEqual(Object.fromEntries(later)['alice/old-hit'], 0);

      // The home page's Trending section follows the same order.
      const home = await (await api(`${hub.url}/`)).text();
      const section = home.slice(home.indexOf('Trending'));
      assert.ok(section.indexOf('/alice/liked"') >= 0 && section.indexOf('/alice/liked"') < section.indexOf('/alice/fresh"'), 'liked before fresh on the home page');

      // A withdrawn like no longer counts.
      assert.equal((await api(`${hub.url}/api/models/alice/liked/like`, t.bob, { method: 'DELETE' })).status, 200);
      assert.equal(Object.fromEntries(await trending())['alice/liked'], 0);
    });
  });
}
