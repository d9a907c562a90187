import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basesOf, inferRelation, parseBaseModel } from '../src/core/lineage.js';
import { backfillLineage } from '../src/db/migrations/0008-lineage.js';
import { api, commitVia, createRepoVia, expectError, fileOp, json, startTestHub, testDialects, type TestHub } from './helpers/hub.js';

/** A card naming its bases (a string, or a YAML list when several), with optional extra metadata. */
function card(bases: string | string[] | undefined, extra = ''): string {
  const base = bases === undefined ? '' : Array.isArray(bases) ? `base_model:\n${bases.map((b) => `  - ${b}`).join('\n')}\n` : `base_model: ${bases}\n`;
  return `---\nlicense: mit\n${base}${extra}---\n# A model\n`;
}

type Who = 'anon' | 'alice' | 'bob';

describe('base_model parsing', () => {
  test('ids, URLs of other hubs, junk', () => {
    assert.deepEqual(parseBaseModel(' alice/base '), { name: 'alice/base', hub: null, key: 'alice/base', raw: 'alice/base' });
    assert.deepEqual(parseBaseModel('gpt2'), { name: 'gpt2', hub: null, key: 'gpt2', raw: 'gpt2' });
    assert.deepEqual(parseBaseModel('https://huggingface.co/Org/Name/tree/main'), {
      name: 'Org/Name', hub: 'https://huggingface.co', key: 'https://huggingface.co/org/name', raw: 'https://huggingface.co/Org/Name/tree/main',
    });
    assert.equal(parseBaseModel('not a repo'), undefined);
    assert.equal(parseBaseModel('a/b/c'), undefined);
    assert.equal(parseBaseModel('https://'), undefined);
    assert.equal(parseBaseModel(''), undefined);
    // Duplicates (case-insensitively), the repo itself and non-strings are dropped; order is kept.
    assert.deepEqual(basesOf({ base_model: ['b/one', 'B/One', 'me/self', 7, 'c/two'] }, 'me/self').map((b) => b.name), ['b/one', 'c/two']);
    assert.deepEqual(basesOf({ base_model: 3 }, 'x/y'), []);
  });

  test('relation: declared, else adapter, quantized, merge, finetune', async () => {
    const never = async () => false;
    assert.equal(await inferRelation('merge', 1, ['adapter_config.json'], never), 'merge');
    assert.equal(await inferRelation('cousin', 1, ['adapter_config.json', 'm.gguf'], never), 'adapter');
    assert.equal(await inferRelation(undefined, 2, ['M.GGUF'], never), 'quantized');
    assert.equal(await inferRelation(undefined, 1, ['config.json'], async () => true), 'quantized');
    assert.equal(await inferRelation(undefined, 2, ['config.json'], never), 'merge');
    assert.equal(await inferRelation(null, 1, [], never), 'finetune');
  });
});

for (const dialect of testDialects()) {
  describe(`model tree (${dialect})`, () => {
    let hub: TestHub;
    const tok = (who: Who): string | undefined => (who === 'anon' ? undefined : hub.tokens[who]);
    const tree = async (who: Who, repo: string, rest = ''): Promise<any> => {
      const r = await api(`${hub.url}/api/models/${repo}/model-tree${rest}`, tok(who));
      assert.equal(r.status, 200, `${who} ${repo}${rest}: ${r.status}`);
      return json(r);
    };
    const childIds = (t: any): Record<string, string[]> => Object.fromEntries(Object.entries(t.children as Record<string, { id: string }[]>).map(([k, v]) => [k, v.map((c) => c.id)]));
    const listing = async (who: Who, query: string): Promise<string[]> => {
      const r = await api(`${hub.url}/api/models?${query}`, tok(who));
      assert.equal(r.status, 200);
      return ((await json(r)) as { id: string }[]).map((m) => m.id).sort();
    };
    /** Creates a repo and commits its card and files through the HTTP API. */
    const model = async (token: string, ns: string, name: string, files: Record<string, string>, opts: { private?: boolean } = {}): Promise<void> => {
      const created = await createRepoVia(hub, token, name, { organization: ns, private: opts.private ?? false });
      assert.equal(created.status, 200, `create ${ns}/${name}: ${await created.text()}`);
      const c = await commitVia(hub, token, `${ns}/${name}`, Object.entries(files).map(([p, content]) => fileOp(p, content)));
      assert.equal(c.status, 200, `commit ${ns}/${name}: ${await c.text()}`);
    };

    before(async () => {
      hub = await startTestHub({ dialect });
      const { alice, bob } = hub.tokens;
      for (const org of ['acme', 'meta-llama']) {
        const r = await api(`${hub.url}/api/organizations`, alice, { method: 'POST', body: JSON.stringify({ name: org }) });
        assert.equal(r.status, 200);
      }
      // The family of alice/base, across owners (alice, bob, the acme org) and visibilities.
      await model(alice, 'alice', 'base', { 'README.md': card(undefined), 'config.json': '{"model_type":"llama"}' });
      await model(bob, 'bob', 'other-base', { 'README.md': card(undefined) });
      await model(bob, 'bob', 'base-ft', { 'README.md': card('alice/base') });
      await model(alice, 'alice', 'base-lora', { 'README.md': card('alice/base'), 'adapter_config.json': '{"r":8}' });
      await model(alice, 'acme', 'base-gguf', { 'README.md': card('alice/base'), 'model-Q4_K_M.gguf': 'GGUF' });
      await model(bob, 'bob', 'base-awq', { 'README.md': card('alice/base'), 'config.json': '{"quantization_config":{"quant_method":"awq","bits":4}}' });
      await model(alice, 'alice', 'secret-ft', { 'README.md': card('alice/base') }, { private: true });
      await model(bob, 'bob', 'private-adapter', { 'README.md': card('alice/base'), 'adapter_config.json': '{}' }, { private: true });
      await model(alice, 'acme', 'merged', { 'README.md': card(['alice/base', 'bob/other-base']) });
      // The card's relation wins over the adapter config.
      await model(bob, 'bob', 'explicit', { 'README.md': card('alice/base', 'base_model_relation: finetune\n'), 'adapter_config.json': '{}' });
      await model(alice, 'alice', 'ft-of-ft', { 'README.md': card('bob/base-ft') });
      await model(alice, 'alice', 'under-secret', { 'README.md': card('alice/secret-ft') });
      await model(alice, 'alice', 'llama-ft', { 'README.md': card('meta-llama/Llama-3.1-8B') });
      await model(bob, 'bob', 'url-ft', { 'README.md': card('https://huggingface.co/mistralai/Mistral-7B-v0.1') });
      // A cycle must not hang any walk.
      await model(bob, 'bob', 'cycle-a', { 'README.md': card('bob/cycle-b') });
      await model(bob, 'bob', 'cycle-b', { 'README.md': card('bob/cycle-a') });
    });
    after(() => hub?.close());

    test('children by relation and counts, as each caller may see them', async () => {
      const expected: Record<Who, Record<string, string[]>> = {
        anon: { adapter: ['alice/base-lora'], finetune: ['bob/base-ft', 'bob/explicit'], merge: ['acme/merged'], quantized: ['acme/base-gguf', 'bob/base-awq'] },
        alice: { adapter: ['alice/base-lora'], finetune: ['alice/secret-ft', 'bob/base-ft', 'bob/explicit'], merge: ['acme/merged'], quantized: ['acme/base-gguf', 'bob/base-awq'] },
        bob: { adapter: ['alice/base-lora', 'bob/private-adapter'], finetune: ['bob/base-ft', 'bob/explicit'], merge: ['acme/merged'], quantized: ['acme/base-gguf', 'bob/base-awq'] },
      };
      for (const who of ['anon', 'alice', 'bob'] as const) {
        const t = await tree(who, 'alice/base');
        assert.equal(t.id, 'alice/base');
        assert.deepEqual(t.baseModels, []);
        assert.deepEqual(t.ancestors, []);
        assert.deepEqual(childIds(t), expected[who], who);
        assert.deepEqual(t.counts, Object.fromEntries(Object.entries(expected[who]).map(([k, v]) => [k, v.length])), who);
      }
      const t = await tree('alice', 'alice/base');
      assert.deepEqual(t.children.finetune[0], { id: 'alice/secret-ft', private: true, downloads: 0, likes: 0, lastModified: t.children.finetune[0].lastModified });
    });

    test('bases and ancestors: inferred relations, merges, externals, hidden private links', async () => {
      const base = (id: string, relation: string, extra: Record<string, unknown> = {}) => ({ id, relation, external: false, private: false, ...extra });
      assert.deepEqual((await tree('anon', 'acme/merged')).baseModels, [base('alice/base', 'merge'), base('bob/other-base', 'merge')]);
      assert.deepEqual((await tree('anon', 'bob/base-awq')).baseModels, [base('alice/base', 'quantized')]);
      assert.deepEqual((await tree('anon', 'acme/base-gguf')).baseModels, [base('alice/base', 'quantized')]);
      assert.deepEqual((await tree('anon', 'bob/explicit')).baseModels, [base('alice/base', 'finetune')]);
      assert.deepEqual((await tree('anon', 'alice/base-lora')).baseModels, [base('alice/base', 'adapter')]);
      assert.deepEqual((await tree('anon', 'alice/llama-ft')).baseModels, [{ id: 'meta-llama/Llama-3.1-8B', relation: 'finetune', external: true }]);
      assert.deepEqual((await tree('anon', 'bob/url-ft')).baseModels, [{ id: 'mistralai/Mistral-7B-v0.1', relation: 'finetune', external: true, hub: 'https://huggingface.co' }]);
      assert.deepEqual((await tree('bob', 'alice/ft-of-ft')).ancestors, [
        { ...base('bob/base-ft', 'finetune'), depth: 1, child: 'alice/ft-of-ft' },
        { ...base('alice/base', 'finetune'), depth: 2, child: 'bob/base-ft' },
      ]);
      // A public model over a private one: only alice sees the private link and what lies beyond it.
      for (const who of ['anon', 'bob'] as const) {
        const t = await tree(who, 'alice/under-secret');
        assert.deepEqual([t.baseModels, t.ancestors], [[], []], who);
      }
      assert.deepEqual((await tree('alice', 'alice/under-secret')).ancestors, [
        { ...base('alice/secret-ft', 'finetune', { private: true }), depth: 1, child: 'alice/under-secret' },
        { ...base('alice/base', 'finetune'), depth: 2, child: 'alice/secret-ft' },
      ]);
      assert.deepEqual((await tree('alice', 'alice/secret-ft')).children.finetune.map((c: any) => c.id), ['alice/under-secret']);
      const cycle = await tree('anon', 'bob/cycle-a');
      assert.deepEqual(cycle.ancestors, [{ ...base('bob/cycle-b', 'finetune'), depth: 1, child: 'bob/cycle-a' }]);
      assert.deepEqual(childIds(cycle).finetune, ['bob/cycle-b']);
    });

    test('the whole family as nodes and edges', async () => {
      const full = async (who: Who, repo: string) => {
        const f = await tree(who, repo, '/full');
        return { roots: f.roots, nodes: f.nodes.map((n: any) => `${n.depth} ${n.id}${n.external ? ' ext' : ''}${n.private ? ' private' : ''}`), edges: f.edges.map((e: any) => `${e.base} -${e.relation}-> ${e.child}`).sort(), truncated: f.truncated };
      };
      const publicEdges = [
        'alice/base -quantized-> acme/base-gguf',
        'alice/base -merge-> acme/merged',
        'alice/base -adapter-> alice/base-lora',
        'alice/base -quantized-> bob/base-awq',
        'alice/base -finetune-> bob/base-ft',
        'alice/base -finetune-> bob/explicit',
        'bob/base-ft -finetune-> alice/ft-of-ft',
        'bob/other-base -merge-> acme/merged',
      ].sort();
      const publicNodes = ['0 alice/base', '0 bob/other-base', '1 acme/base-gguf', '1 acme/merged', '1 alice/base-lora', '1 bob/base-awq', '1 bob/base-ft', '1 bob/explicit', '2 alice/ft-of-ft'];
      // From a grandchild, the family is walked from its root down.
      assert.deepEqual(await full('anon', 'alice/ft-of-ft'), { roots: ['alice/base'], nodes: publicNodes, edges: publicEdges, truncated: false });
      // From a merge, both roots.
      assert.deepEqual((await full('anon', 'acme/merged')).roots, ['alice/base', 'bob/other-base']);
      assert.deepEqual((await full('anon', 'acme/merged')).edges, publicEdges);
      assert.deepEqual(await full('alice', 'alice/base'), {
        roots: ['alice/base'],
        nodes: ['0 alice/base', '0 bob/other-base', '1 acme/base-gguf', '1 acme/merged', '1 alice/base-lora', '1 alice/secret-ft private', '1 bob/base-awq', '1 bob/base-ft', '1 bob/explicit', '2 alice/ft-of-ft', '2 alice/under-secret'],
        edges: [...publicEdges, 'alice/base -finetune-> alice/secret-ft', 'alice/secret-ft -finetune-> alice/under-secret'].sort(),
        truncated: false,
      });
      assert.deepEqual(await full('bob', 'alice/base'), {
        roots: ['alice/base'],
        nodes: ['0 alice/base', '0 bob/other-base', '1 acme/base-gguf', '1 acme/merged', '1 alice/base-lora', '1 bob/base-awq', '1 bob/base-ft', '1 bob/explicit', '1 bob/private-adapter private', '2 alice/ft-of-ft'],
        edges: [...publicEdges, 'alice/base -adapter-> bob/private-adapter'].sort(),
        truncated: false,
      });
      // An external root: the family of everything naming it.
      assert.deepEqual(await full('anon', 'bob/url-ft'), {
        roots: ['https://huggingface.co/mistralai/Mistral-7B-v0.1'],
        nodes: ['0 https://huggingface.co/mistralai/Mistral-7B-v0.1 ext', '1 bob/url-ft'],
        edges: ['https://huggingface.co/mistralai/Mistral-7B-v0.1 -finetune-> bob/url-ft'],
        truncated: false,
      });
      const cycle = await full('anon', 'bob/cycle-b');
      assert.deepEqual([cycle.roots, cycle.nodes, cycle.edges], [['bob/cycle-b'], ['0 bob/cycle-b', '1 bob/cycle-a'], ['bob/cycle-a -finetune-> bob/cycle-b', 'bob/cycle-b -finetune-> bob/cycle-a']]);
    });

    test('children pages', async () => {
      const page = async (who: Who, q: string) => tree(who, 'alice/base', `/children?${q}`);
      const all = await page('alice', '');
      assert.equal(all.total, 7);
      assert.deepEqual(all.items.map((c: any) => `${c.relation} ${c.id}`), [
        'quantized acme/base-gguf', 'merge acme/merged', 'adapter alice/base-lora', 'finetune alice/secret-ft', 'quantized bob/base-awq', 'finetune bob/base-ft', 'finetune bob/explicit',
      ]);
      const p0 = await page('anon', 'relation=finetune&limit=1');
      assert.deepEqual([p0.total, p0.page, p0.pageSize, p0.items.map((c: any) => c.id)], [2, 0, 1, ['bob/base-ft']]);
      const p1 = await page('anon', 'relation=finetune&limit=1&p=1');
      assert.deepEqual(p1.items.map((c: any) => c.id), ['bob/explicit']);
      const p2 = await page('anon', 'relation=finetune&limit=1&p=2');
      assert.deepEqual([p2.total, p2.items], [2, []]);
      assert.equal((await page('bob', 'relation=adapter')).total, 2);
    });

    test('the migration backfills models indexed before the model tree', async () => {
      const db = hub.running.hub.db;
      const names = ['acme/merged', 'alice/base-lora', 'acme/base-gguf', 'bob/explicit', 'alice/secret-ft'];
      const trees = async () => Promise.all(names.map((r) => tree('alice', r)));
      const tags = async () => (await db.selectFrom('repo_tags').select(['repo_id', 'tag']).where('repo_id', 'in', ids).orderBy('repo_id').orderBy('tag').execute());
      const ids = (await db.selectFrom('repos').select('id').where('full_name_lc', 'in', names).execute()).map((r) => r.id);
      const [treesBefore, tagsBefore] = [await trees(), await tags()];
      // As a hub upgraded from before the model tree: no edges, no relation tags.
      await db.deleteFrom('model_lineage').where('child_repo_id', 'in', ids).execute();
      await db.deleteFrom('repo_tags').where('repo_id', 'in', ids).where('tag', 'like', 'base_model:%:%').execute();
      assert.deepEqual((await tree('anon', 'acme/merged')).baseModels, []);
      assert.equal(await backfillLineage(db), names.length);
      assert.deepEqual(await trees(), treesBefore);
      assert.deepEqual(await tags(), tagsBefore);
      // Models that have edges are left alone.
      assert.equal(await backfillLineage(db), 0);
    });

    test('Hub-style tags and listing filters', async () => {
      const info = await json(await api(`${hub.url}/api/models/acme/base-gguf`));
      assert.ok(info.tags.includes('base_model:alice/base') && info.tags.includes('base_model:quantized:alice/base') && info.tags.includes('gguf'), info.tags.join());
      assert.deepEqual(info.cardData.base_model, 'alice/base');
      const merged = await json(await api(`${hub.url}/api/models/acme/merged`));
      assert.deepEqual(merged.tags.filter((t: string) => t.startsWith('base_model:')).sort(), ['base_model:alice/base', 'base_model:bob/other-base', 'base_model:merge:alice/base', 'base_model:merge:bob/other-base']);
      assert.deepEqual(await listing('anon', 'other=base_model:finetune:alice/base'), ['bob/base-ft', 'bob/explicit']);
      assert.deepEqual(await listing('alice', 'other=base_model:finetune:alice/base'), ['alice/secret-ft', 'bob/base-ft', 'bob/explicit']);
      assert.deepEqual(await listing('bob', 'other=base_model:finetune:alice/base'), ['bob/base-ft', 'bob/explicit']);
      assert.deepEqual(await listing('bob', 'other=base_model:adapter:alice/base'), ['alice/base-lora', 'bob/private-adapter']);
      const publicChildren = ['acme/base-gguf', 'acme/merged', 'alice/base-lora', 'bob/base-awq', 'bob/base-ft', 'bob/explicit'];
      assert.deepEqual(await listing('anon', 'filter=base_model:alice/base'), publicChildren);
      assert.deepEqual(await listing('alice', 'filter=base_model:alice/base'), [...publicChildren, 'alice/secret-ft'].sort());
      assert.deepEqual(await listing('bob', 'filter=base_model:alice/base'), [...publicChildren, 'bob/private-adapter'].sort());
      assert.deepEqual(await listing('anon', 'filter=base_model:alice/base&other=base_model:quantized:alice/base'), ['acme/base-gguf', 'bob/base-awq']);
    });

    test('bad requests and hidden repos', async () => {
      await expectError(await api(`${hub.url}/api/models/alice/base/model-tree/children?relation=cousin`), 400);
      await expectError(await api(`${hub.url}/api/models/alice/base/model-tree/children?p=-1`), 400);
      await expectError(await api(`${hub.url}/api/models/alice/base/model-tree/children?p=x`), 400);
      await expectError(await api(`${hub.url}/api/models/alice/base/model-tree/nope`), 404);
      await expectError(await api(`${hub.url}/api/models/alice/base/model-tree/full/x`), 404);
      await expectError(await api(`${hub.url}/api/models/alice/base/model-tree`, hub.tokens.alice, { method: 'POST' }), 405);
      await expectError(await api(`${hub.url}/api/models/alice/missing/model-tree`, hub.tokens.bob), 404, 'RepoNotFound');
      // A private model answers like a missing one: 401 to anonymous callers, 404 to others.
      await expectError(await api(`${hub.url}/api/models/alice/secret-ft/model-tree`), 401, 'RepoNotFound');
      await expectError(await api(`${hub.url}/api/models/alice/secret-ft/model-tree/full`, hub.tokens.bob), 404, 'RepoNotFound');
      await expectError(await api(`${hub.url}/api/models/alice/secret-ft/model-tree/children`, hub.tokens.bob), 404, 'RepoNotFound');
      assert.equal((await createRepoVia(hub, hub.tokens.alice, 'data', { type: 'dataset' })).status, 200);
      await expectError(await api(`${hub.url}/api/datasets/alice/data/model-tree`), 404);
      // The pages: one relation's full list, and the same refusals.
      const page = await api(`${hub.url}/alice/base/model-tree?relation=finetune&p=0`, hub.tokens.alice);
      assert.equal(page.status, 200);
      const text = await page.text();
      assert.match(text, /<h2>Finetunes of alice\/base <span class="count muted">\(3\)<\/span><\/h2>/);
      assert.deepEqual([...text.matchAll(/<li><a href="\/([^"]+)">/g)].map((m) => m[1]), ['alice/secret-ft', 'bob/base-ft', 'bob/explicit']);
      assert.equal((await api(`${hub.url}/alice/base/model-tree?relation=cousin`)).status, 400);
      assert.equal((await api(`${hub.url}/alice/base/model-tree?relation=adapter&p=x`)).status, 400);
      assert.equal((await api(`${hub.url}/alice/base/model-tree/extra`)).status, 404);
      assert.equal((await api(`${hub.url}/alice/secret-ft/model-tree`, hub.tokens.bob)).status, 404);
      assert.equal((await api(`${hub.url}/datasets/alice/data/model-tree`)).status, 404);
    });

    test('later changes: an external base created, a base replaced, a rename, deletions', async () => {
      const { alice, bob } = hub.tokens;
      // The external base comes into existence here: the edge now leads to it.
      assert.equal((await createRepoVia(hub, alice, 'Llama-3.1-8B', { organization: 'meta-llama' })).status, 200);
      assert.deepEqual((await tree('anon', 'alice/llama-ft')).baseModels, [{ id: 'meta-llama/Llama-3.1-8B', relation: 'finetune', external: false, private: false }]);
      assert.deepEqual(childIds(await tree('anon', 'meta-llama/Llama-3.1-8B')).finetune, ['alice/llama-ft']);

      // A new commit changes bob/base-ft's base: its edges (and tags) are replaced.
      assert.equal((await commitVia(hub, bob, 'bob/base-ft', [fileOp('README.md', card('bob/other-base'))])).status, 200);
      assert.deepEqual(childIds(await tree('anon', 'alice/base')).finetune, ['bob/explicit']);
      assert.deepEqual(childIds(await tree('anon', 'bob/other-base')), { adapter: [], finetune: ['bob/base-ft'], merge: ['acme/merged'], quantized: [] });
      assert.deepEqual((await tree('anon', 'alice/ft-of-ft')).ancestors.map((a: any) => `${a.depth} ${a.id}`), ['1 bob/base-ft', '2 bob/other-base']);
      assert.deepEqual(await listing('anon', 'other=base_model:finetune:alice/base'), ['bob/explicit']);
      assert.deepEqual(await listing('anon', 'other=base_model:finetune:bob/other-base'), ['bob/base-ft']);

      // A rename: cards still say alice/base, which now redirects to alice/foundation.
      const mv = await api(`${hub.url}/api/repos/move`, alice, { method: 'POST', body: JSON.stringify({ fromRepo: 'alice/base', toRepo: 'alice/foundation', type: 'model' }) });
      assert.equal(mv.status, 200);
      const renamed = await tree('alice', 'alice/foundation');
      assert.deepEqual(renamed.counts, { adapter: 1, finetune: 2, merge: 1, quantized: 2 });
      assert.deepEqual(childIds(renamed).finetune, ['alice/secret-ft', 'bob/explicit']);
      assert.deepEqual((await tree('anon', 'acme/merged')).baseModels.map((b: any) => `${b.id} ${b.external}`), ['alice/foundation false', 'bob/other-base false']);
      assert.deepEqual((await tree('alice', 'alice/under-secret')).ancestors.map((a: any) => `${a.depth} ${a.id}`), ['1 alice/secret-ft', '2 alice/foundation']);
      // A card naming the base by both its old and its new name counts once.
      assert.equal((await commitVia(hub, bob, 'bob/explicit', [fileOp('README.md', card(['alice/base', 'alice/foundation'], 'base_model_relation: finetune\n'))])).status, 200);
      assert.deepEqual((await tree('alice', 'alice/foundation')).counts, { adapter: 1, finetune: 2, merge: 1, quantized: 2 });
      assert.deepEqual((await tree('anon', 'bob/explicit')).baseModels, [{ id: 'alice/foundation', relation: 'finetune', external: false, private: false }]);
      const box = await api(`${hub.url}/alice/foundation`, alice);
      assert.match(await box.text(), /<dt>Finetunes<\/dt><dd><a href="\/alice\/foundation\/model-tree#children-finetune">2 models<\/a>/);
      const old = await api(`${hub.url}/api/models/alice/base/model-tree`, undefined, { redirect: 'manual' });
      assert.equal(old.status, 307);
      assert.equal(old.headers.get('location'), '/api/models/alice/foundation/model-tree');

      // Deleting a base turns the edges to it into external references; deleting a child removes its edges.
      for (const [ns, name, token] of [['bob', 'other-base', bob], ['alice', 'base-lora', alice]] as const) {
        const del = await api(`${hub.url}/api/repos/delete`, token, { method: 'DELETE', body: JSON.stringify({ name, organization: ns, type: 'model' }) });
        assert.equal(del.status, 200);
      }
      assert.deepEqual((await tree('anon', 'acme/merged')).baseModels, [
        { id: 'alice/foundation', relation: 'merge', external: false, private: false },
        { id: 'bob/other-base', relation: 'merge', external: true },
      ]);
      assert.deepEqual((await tree('anon', 'alice/ft-of-ft')).ancestors.map((a: any) => `${a.depth} ${a.id} ${a.external}`), ['1 bob/base-ft false', '2 bob/other-base true']);
      assert.deepEqual((await tree('anon', 'alice/foundation')).counts, { adapter: 0, finetune: 1, merge: 1, quantized: 2 });
      assert.deepEqual((await tree('bob', 'alice/foundation')).counts, { adapter: 1, finetune: 1, merge: 1, quantized: 2 });
      // Making the private finetune public shows it to everyone.
      const vis = await api(`${hub.url}/api/models/alice/secret-ft/settings`, alice, { method: 'PUT', body: JSON.stringify({ private: false }) });
      assert.equal(vis.status, 200);
      assert.deepEqual(childIds(await tree('anon', 'alice/foundation')).finetune, ['alice/secret-ft', 'bob/explicit']);
    });
  });
}
