import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { HubError } from '../../src/core/errors.js';
import { validateFolderPath, validateRepoPath } from '../../src/core/paths.js';
import { makeRepoRef } from '../../src/core/repo-id.js';
import { splitRevisionAndPath, validateRefName } from '../../src/core/revision.js';
import { parseRange } from '../../src/http/range.js';
import { LfsAttributes, literalAttributePattern, DEFAULT_GITATTRIBUTES } from '../../src/repo/gitattributes.js';
import { formatPointer, parsePointer } from '../../src/repo/lfs-pointer.js';
import { parseCardMetadata } from '../../src/services/card.js';

const badRequest = (fn: () => unknown): void => {
  assert.throws(fn, (e: unknown) => e instanceof HubError && e.code === 'BadRequest');
};

describe('repo paths', () => {
  test('accepts ordinary nested and unicode paths', () => {
    assert.equal(validateRepoPath('a b/ü.txt'), 'a b/ü.txt');
    assert.equal(validateRepoPath('.gitattributes'), '.gitattributes');
    assert.equal(validateRepoPath('dir/.hidden/file'), 'dir/.hidden/file');
  });
  test('refuses traversal, absolute paths, .git, NUL and empty segments', () => {
    for (const p of ['../x', 'a/../b', '/etc/passwd', '.git/config', 'a/.git/hooks', 'a\u0000b', 'a//b', './a', 'a/.', '', 'a\\b', 'A/.GIT/x']) {
      badRequest(() => validateRepoPath(p));
    }
    badRequest(() => validateRepoPath(42));
  });
  test('folder paths may end with a slash', () => {
    assert.equal(validateFolderPath('dir/sub/'), 'dir/sub');
    badRequest(() => validateFolderPath('/'));
  });
});

describe('repo ids', () => {
  test('valid names', () => {
    assert.deepEqual(makeRepoRef('model', 'alice', 'my-model.v2_1'), { type: 'model', namespace: 'alice', name: 'my-model.v2_1' });
  });
  test('invalid and reserved names', () => {
    for (const [ns, name] of [['alice', 'a--b'], ['alice', 'a..b'], ['alice', '-x'], ['alice', 'x.git'], ['api', 'x'], ['datasets', 'x'], ['al ice', 'x'], ['alice', 'x'.repeat(97)], ['alice', 'x/y']]) {
      badRequest(() => makeRepoRef('model', ns, name));
    }
  });
});

describe('revisions', () => {
  test('splits JS-style unencoded refs greedily', () => {
    assert.deepEqual(splitRevisionAndPath(['refs', 'pr', '1', 'dir', 'f']), { revision: 'refs/pr/1', path: ['dir', 'f'] });
    assert.deepEqual(splitRevisionAndPath(['main', 'dir']), { revision: 'main', path: ['dir'] });
    assert.deepEqual(splitRevisionAndPath(['refs/pr/1', 'dir']), { revision: 'refs/pr/1', path: ['dir'] });
  });
  test('ref names', () => {
    assert.equal(validateRefName('feature/x', 'branch'), 'feature/x');
    for (const n of ['refs/pr/5', '-x', 'a..b', 'a b', 'x.lock', 'HEAD', 'a~1', 'a:b', '', '.hidden', 'a/']) badRequest(() => validateRefName(n, 'branch'));
  });
});

describe('Range header', () => {
  test('forms from the spec, clamped', () => {
    assert.deepEqual(parseRange('bytes=0-0', 10), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=5-', 10), { start: 5, end: 9 });
    assert.deepEqual(parseRange('bytes=-3', 10), { start: 7, end: 9 });
    assert.deepEqual(parseRange('bytes=0-100000', 10), { start: 0, end: 9 });
    assert.equal(parseRange('bytes=10-', 10), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-1,3-4', 10), undefined);
    assert.equal(parseRange('items=0-1', 10), undefined);
    assert.equal(parseRange(undefined, 10), undefined);
  });
});

describe('LFS pointers', () => {
  const oid = 'a'.repeat(64);
  test('round trip, byte for byte as git-lfs writes it', () => {
    const text = formatPointer({ oid, size: 12 });
    assert.equal(text, `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize 12\n`);
    assert.deepEqual(parsePointer(Buffer.from(text)), { oid, size: 12 });
  });
  test('not pointers', () => {
    assert.equal(parsePointer('hello'), undefined);
    assert.equal(parsePointer(`version https://git-lfs.github.com/spec/v1\noid sha256:xyz\nsize 1\n`), undefined);
  });
});

describe('.gitattributes LFS rules', () => {
  test('default rules', () => {
    const a = new LfsAttributes(DEFAULT_GITATTRIBUTES);
    assert.equal(a.isLfs('model.safetensors'), true);
    assert.equal(a.isLfs('sub/dir/weights.bin'), true);
    assert.equal(a.isLfs('saved_model/variables/x'), true);
    assert.equal(a.isLfs('events.out.tfevents.123'), true);
    assert.equal(a.isLfs('README.md'), false);
    assert.equal(a.isLfs('config.json'), false);
  });
  test('later lines win and literal patterns match their path only', () => {
    const a = new LfsAttributes(`*.txt filter=lfs\nkeep.txt -filter\n${literalAttributePattern('my file[1].dat')} filter=lfs diff=lfs merge=lfs -text\n`);
    assert.equal(a.isLfs('a.txt'), true);
    assert.equal(a.isLfs('keep.txt'), false);
    assert.equal(a.isLfs('my file[1].dat'), true);
    assert.equal(a.isLfs('my file1.dat'), false);
  });
});

describe('card metadata', () => {
  const card = `---\nlicense: mit\nlanguage: [en, fr]\ntags: [text-generation, demo]\nlibrary_name: transformers\npipeline_tag: text-generation\ndatasets: [alice/data]\nbase_model: alice/base\n---\n# Title\n`;
  test('derives the tags the Hub computes', () => {
    const m = parseCardMetadata(card, 'model');
    assert.equal(m.cardData?.license, 'mit');
    assert.deepEqual(
      new Set(m.tags),
      new Set(['text-generation', 'demo', 'transformers', 'license:mit', 'en', 'fr', 'dataset:alice/data', 'base_model:alice/base']),
    );
    assert.equal(m.pipelineTag, 'text-generation');
    const d = parseCardMetadata(`---\nlicense: cc-by-4.0\nlanguage: en\ntask_categories: [text-classification]\n---\n`, 'dataset');
    assert.deepEqual(new Set(d.tags), new Set(['license:cc-by-4.0', 'language:en', 'task_categories:text-classification']));
  });
  test('no front matter is no metadata', () => {
    assert.equal(parseCardMetadata('# hello', 'model').cardData, undefined);
  });
  test('strict mode rejects invalid YAML and wrong types', () => {
    badRequest(() => parseCardMetadata('---\nlicense: [unclosed\n---\n', 'model', true));
    badRequest(() => parseCardMetadata('---\ntags: {a: 1}\n---\n', 'model', true));
    badRequest(() => parseCardMetadata('---\n- just\n- a list\n---\n', 'model', true));
    assert.equal(parseCardMetadata('---\nlicense: [unclosed\n---\n', 'model', false).cardData, undefined);
  });
});

describe('signed URLs', () => {
  test('bound to every part and to the expiry; expired links are refused', async () => {
    const { UrlSigner } = await import('../../src/auth/signed-urls.js');
    const signer = new UrlSigner(Buffer.alloc(32, 7));
    const q = new URLSearchParams(signer.query(['upload', 'repo1', 'a'.repeat(64), '10'], 60));
    assert.equal(signer.verify(['upload', 'repo1', 'a'.repeat(64), '10'], q.get('exp'), q.get('sig')), true);
    assert.equal(signer.verify(['upload', 'repo2', 'a'.repeat(64), '10'], q.get('exp'), q.get('sig')), false);
    assert.equal(signer.verify(['upload', 'repo1', 'a'.repeat(64), '11'], q.get('exp'), q.get('sig')), false);
    assert.equal(signer.verify(['download', 'repo1', 'a'.repeat(64), '10'], q.get('exp'), q.get('sig')), false);
    assert.equal(signer.verify(['upload', 'repo1', 'a'.repeat(64), '10'], String(Number(q.get('exp')) + 1), q.get('sig')), false);
    const past = Math.floor(Date.now() / 1000) - 5;
    assert.equal(signer.verify(['x'], String(past), signer.sign(['x'], past)), false);
    assert.equal(signer.verify(['x'], null, 'abc'), false);
    assert.equal(new UrlSigner(Buffer.alloc(32, 8)).verify(['upload', 'repo1', 'a'.repeat(64), '10'], q.get('exp'), q.get('sig')), false);
  });
});
