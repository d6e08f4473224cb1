import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';

describe('Docs', () => {
  it('the README documents every configuration variable', () => {
    const root = path.join(__dirname, '..', '..');
    const config = readFileSync(path.join(root, 'src', 'config.ts'), 'utf8');
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const schemaBody = config.slice(config.indexOf('const EnvSchema'), config.indexOf('export type Config'));
    const keys = [...schemaBody.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]!);
    assert.ok(keys.length > 20);
    const missing = keys.filter((k) => !readme.includes(`\`${k}\``));
    assert.deepEqual(missing, [], `undocumented settings: ${missing.join(', ')}`);
  });
});

describe('Docs: the browser section of the protocol is the web client', () => {
  const root = path.join(__dirname, '..', '..');
  const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
  /** The lines between `// #region name` and `// #endregion`, dedented. */
  const region = (file: string, name: string) => {
    const text = read(file);
    const start = text.indexOf(`// #region ${name}\n`);
    assert.ok(start >= 0, `${file} has no region ${name}`);
    const body = text.slice(start + `// #region ${name}\n`.length, text.indexOf('// #endregion', start));
    const lines = body.replace(/\n\s*$/, '').split('\n');
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    return lines.map((l) => l.slice(indent)).join('\n');
  };

  it('"Connecting two peers (browser)" shows web/src/media.ts and the host and viewer code verbatim', () => {
    const protocol = read('docs/protocol.md');
    const start = protocol.indexOf('### Connecting two peers (browser)');
    const section = protocol.slice(start, protocol.indexOf('\n## ', start));
    const blocks = [...section.matchAll(/```ts\n([\s\S]*?)\n```/g)].map((m) => m[1]);
    assert.equal(blocks.length, 3);
    assert.equal(blocks[0], read('web/src/media.ts').trimEnd());
    assert.equal(blocks[1], region('web/src/studio.ts', 'docs:host'));
    assert.equal(blocks[2], region('web/src/watch.ts', 'docs:viewer'));
  });
});
