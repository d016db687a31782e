import { readFileSync } from 'node:fs';
import { startApp, type TestApp } from './support/harness.js';

// The page itself is tested in a real browser (test/browser/demo.spec.ts); this file checks how it
// is served, and that it keeps to the public API.
describe('the demo page', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('serves the page at /demo with a policy that allows only its own scripts', async () => {
    const page = await t.http().get('/demo').expect(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.text).toContain('<script type="module" src="/demo/app.js"></script>');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(page.text).not.toMatch(/https?:\/\//); // nothing from a CDN
    const policy = page.headers['content-security-policy'];
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("default-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
    expect(page.headers['cache-control']).toBe('no-cache');
  });

  it('serves its script and style sheet, and nothing else from /demo', async () => {
    const script = await t.http().get('/demo/app.js').expect(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.text).toContain('EventSource');
    const style = await t.http().get('/demo/style.css').expect(200);
    expect(style.headers['content-type']).toBe('text/css; charset=utf-8');
    for (const path of [
      '/demo/nope.js',
      '/demo/..%2F..%2Fpackage.json',
      '/demo/%2e%2e%2fdemo.controller.ts',
    ]) {
      const response = await t.http().get(path).expect(404);
      expect(response.body.error.code).toBe('not_found');
    }
  });

  it('calls only the public API routes the page is meant to use', () => {
    const source = readFileSync('src/demo/public/app.js', 'utf8');
    const paths = [...source.matchAll(/call\(\s*'(?:GET|POST|PUT|PATCH|DELETE)',\s*[`']([^`']+)[`']/g)].map(
      (match) => match[1],
    );
    expect(paths.length).toBeGreaterThan(10);
    const allowed =
      /^\/(auth\/|me$|me\/status$|me\/avatar$|me\/activity\?|me\/export$|me\/mfa(\/totp(\/confirm)?)?$|me\/passkeys(\/options|\/\$\{passkey\.id\})?$|push\/vapid-public-key$|devices$|contacts|blocks|tokens\/sse-code$|tokens\/sessions|users\?(ids|nick)=)/;
    expect(paths.filter((path) => !allowed.test(path))).toEqual([]);
    const streams = [...source.matchAll(/new EventSource\(\s*`\$\{API\}([^`?]+)/g)].map((match) => match[1]);
    expect(streams).toEqual(['/auth/qr/${encodeURIComponent(code.id)}/events', '/events']);
  });
});
