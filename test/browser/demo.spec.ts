import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { befriend } from '../support/friends.js';
import {
  createUser,
  PASSWORD,
  startApp,
  type TestApp,
  type TestUser,
  uniqueEmail,
} from '../support/harness.js';
import { makeImage } from '../support/images.js';

// The demo page (/demo) in a real browser: Debian's Chromium driven by playwright-core. Never a
// downloaded browser; .ci/run installs the package when it is missing.
const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOTS = join('test', 'browser', 'screenshots');
const STEP_MS = 10_000;

/** The part of an <img> the tests read (the project's TypeScript has no DOM types). */
interface ImageElement {
  complete: boolean;
  naturalWidth: number;
}

describe('the demo page in a browser', () => {
  let t: TestApp;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium is not installed at ${CHROMIUM}: run "apt-get install -y chromium" (.ci/run does it)`,
      );
    }
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 30_000 });
    t = await startApp(undefined, { PRESENCE_GRACE_SECONDS: '0' });
    // Avatar URLs are absolute, under PUBLIC_URL; the test app listens on a port chosen at start.
    t.config.publicUrl = t.url;
  }, 60_000);
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await browser?.close();
    await t?.close();
  });

  async function newPage(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1180, height: 860 } });
    contexts.push(context);
    const page = await context.newPage();
    page.setDefaultTimeout(STEP_MS);
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !/status of 4\d\d/.test(message.text()))
        problems.push(message.text());
    });
    pageProblems.set(page, problems);
    await page.goto(`${t.url}/demo`);
    return page;
  }

  /** Script errors and failed loads the page reported (4xx answers the page handles are not problems). */
  const pageProblems = new WeakMap<Page, string[]>();
  const problemsOf = (page: Page) => pageProblems.get(page) ?? [];
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const row = (page: Page, user: TestUser) => page.locator(`#contacts .person[data-user-id="${user.id}"]`);
  const dotOf = (page: Page, user: TestUser) => row(page, user).locator('.dot').getAttribute('data-state');

  async function logIn(page: Page, user: TestUser): Promise<void> {
    await page.fill('#login-form [name=email]', user.email);
    await page.fill('#login-form [name=password]', user.password);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#live-state[data-state="on"]');
  }

  async function until(what: string, probe: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + STEP_MS;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it(
    'serves the page and registers a new account from it',
    async () => {
      const page = await newPage();
      await page.waitForSelector('#guest:not([hidden])');
      await page.click('[data-tab=register]');
      const email = uniqueEmail('page');
      await page.fill('#register-form [name=email]', email);
      await page.fill('#register-form [name=password]', PASSWORD);
      await page.fill('#register-form [name=nick]', 'Page Person');
      await page.click('#register-form button[type=submit]');
      await page.waitForSelector('#app:not([hidden])');
      expect(await page.textContent('#me-email')).toBe(email);
      expect(await page.textContent('#me-nick')).toContain('Page Person');
      // Not confirmed yet: the page says so instead of failing on contacts and the stream.
      expect(await page.isVisible('#confirm-banner')).toBe(true);
      await shot(page, '01-registered');
      expect(problemsOf(page)).toEqual([]);
    },
    STEP_MS * 3,
  );

  it(
    "shows a friend's nick, avatar and status change live, and their dot turning grey when they leave",
    async () => {
      const [ann, bob] = await Promise.all([
        createUser(t, { nick: `Ann ${Date.now().toString(36)}` }),
        createUser(t, { nick: `Bob ${Date.now().toString(36)}` }),
      ]);
      await befriend(t, ann, bob);
      const [annPage, bobPage] = await Promise.all([newPage(), newPage()]);
      await logIn(bobPage, bob);
      await logIn(annPage, ann);

      await until(
        "Ann's dot to turn green on Bob's page",
        async () => (await dotOf(bobPage, ann)) === 'online',
      );
      await shot(bobPage, '02-friend-online');

      const nick = `Annie ${Date.now().toString(36)}`;
      await annPage.fill('#profile-form [name=nick]', nick);
      await annPage.fill('#profile-form [name=status_message]', 'Writing tests');
      await annPage.click('#profile-form button[type=submit]');
      await row(bobPage, ann).getByText(nick).waitFor();
      expect(await row(bobPage, ann).textContent()).toContain('Writing tests');
      expect(await bobPage.textContent('#events')).toContain(`${nick} updated their profile`);

      await annPage.setInputFiles('#avatar-file', {
        name: 'me.png',
        mimeType: 'image/png',
        buffer: await makeImage(240, 240, 'png'),
      });
      await row(bobPage, ann).locator('.avatar img').waitFor();
      await until("Ann's avatar to load on Bob's page", () =>
        row(bobPage, ann)
          .locator('.avatar img')
          .evaluate((image) => (image as ImageElement).complete && (image as ImageElement).naturalWidth > 0),
      );

      await annPage.selectOption('#status-select', 'busy');
      await until("Ann's dot to turn busy on Bob's page", async () => (await dotOf(bobPage, ann)) === 'busy');
      await shot(annPage, '03-own-profile');
      await shot(bobPage, '04-friend-changed-live');

      await annPage.context().close();
      await until(
        "Ann's dot to turn grey on Bob's page",
        async () => (await dotOf(bobPage, ann)) === 'offline',
      );
      expect(await row(bobPage, ann).locator('.person-status').textContent()).toMatch(/Last seen|Offline/);
      await shot(bobPage, '05-friend-offline');
      expect(problemsOf(bobPage)).toEqual([]);
    },
    STEP_MS * 6,
  );

  it(
    'blocks and unblocks a contact from the page',
    async () => {
      const [ann, bob] = await Promise.all([
        createUser(t, { nick: 'Ann Blocked' }),
        createUser(t, { nick: 'Bob Blocker' }),
      ]);
      await befriend(t, ann, bob);
      const bobPage = await newPage();
      await logIn(bobPage, bob);
      await row(bobPage, ann).getByRole('button', { name: 'Block' }).click();
      await bobPage.locator(`#blocks .person[data-user-id="${ann.id}"]`).waitFor();
      expect(await row(bobPage, ann).count()).toBe(0);
      const blocked = await t.http().get('/api/v1/blocks').set(bob.auth).expect(200);
      expect(blocked.body.users.map((user: { id: number }) => user.id)).toEqual([ann.id]);
      await bobPage.locator('#events [data-event="blocked"]').getByText('you blocked Ann Blocked').waitFor();
      await shot(bobPage, '06-blocked');

      await bobPage
        .locator(`#blocks .person[data-user-id="${ann.id}"]`)
        .getByRole('button', { name: 'Unblock' })
        .click();
      await row(bobPage, ann).waitFor();
      expect(await bobPage.isVisible('#blocks-empty')).toBe(true);
      expect((await t.http().get('/api/v1/blocks').set(bob.auth).expect(200)).body.users).toEqual([]);
    },
    STEP_MS * 4,
  );

  it(
    'logs the QR page in when a logged-in user approves the code through the API',
    async () => {
      const ann = await createUser(t, { nick: `Ann QR ${Date.now().toString(36)}` });
      const page = await newPage();
      await page.click('[data-tab=qr]');
      await page.waitForSelector('#qr-frame[data-state="waiting"]');
      const png = await page.getAttribute('#qr-image', 'src');
      expect(png).toMatch(/^data:image\/png;base64,/);
      expect(
        await page.locator('#qr-image').evaluate((image) => (image as ImageElement).naturalWidth),
      ).toBeGreaterThan(0);
      await shot(page, '07-qr-code');

      const link = new URL(await page.inputValue('#qr-uri'));
      const check = await page.textContent('#qr-check');
      expect(check).toMatch(/^[0-9]{2}$/);
      await t
        .http()
        .post(`/api/v1/auth/qr/${link.searchParams.get('id')}/approve`)
        .set(ann.auth)
        .send({ key: link.searchParams.get('key'), check })
        .expect(200);
      await page.waitForSelector('#app:not([hidden])');
      expect(await page.textContent('#me-email')).toBe(ann.email);
      await page.waitForSelector('#live-state[data-state="on"]');
      await shot(page, '08-qr-logged-in');
      expect(problemsOf(page)).toEqual([]);
    },
    STEP_MS * 3,
  );

  it(
    'logs the QR page in when approved from another tab where the user is logged in',
    async () => {
      const ann = await createUser(t, { nick: `Ann Tab ${Date.now().toString(36)}` });
      const [qrPage, annPage] = await Promise.all([newPage(), newPage()]);
      await logIn(annPage, ann);
      await qrPage.click('[data-tab=qr]');
      await qrPage.waitForSelector('#qr-frame[data-state="waiting"]');
      const uri = await qrPage.inputValue('#qr-uri');
      await annPage.fill('#qr-approve-form [name=uri]', uri);
      await annPage.click('#qr-approve-next');
      // The approving tab shows which browser asks, and wants the number the QR page shows.
      await annPage.waitForSelector('#qr-approve-details:not([hidden])');
      expect(await annPage.textContent('#qr-approve-who')).toMatch(/Linux at .* asked/);
      await annPage.fill('#qr-approve-form [name=check]', (await qrPage.textContent('#qr-check')) ?? '');
      await shot(annPage, '09-qr-approve-check');
      await annPage.click('#qr-approve-submit');
      await qrPage.waitForSelector('#app:not([hidden])');
      expect(await qrPage.textContent('#me-email')).toBe(ann.email);
      await qrPage.getByText(/Logged in with a QR code, approved from/).waitFor();
      // The code was single use: approving it again is refused, and the page says why.
      await annPage.fill('#qr-approve-form [name=uri]', uri);
      await annPage.click('#qr-approve-next');
      await annPage.getByText('QR code is unknown, used or expired').waitFor();
    },
    STEP_MS * 3,
  );
});
