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
