import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { befriend } from '../support/friends.js';
import {
  createUser,
  PASSWORD,
  startApp,
  type TestApp,
  type TestUser,
  uniqueEmail,
  waitForMail,
} from '../support/harness.js';
import { makeImage } from '../support/images.js';
import { linkIn } from '../support/mails.js';
import { launchChromium } from './chromium.js';

// The demo page (/demo) in a real browser: the Chromium of the npm package @sparticuz/chromium (or
// CHROMIUM_PATH's) driven by playwright-core. Never a downloaded browser.
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
    mkdirSync(SCREENSHOTS, { recursive: true });
    browser = await launchChromium();
    t = await startApp(undefined, { PRESENCE_GRACE_SECONDS: '0' });
    // Avatar URLs are absolute, under PUBLIC_URL; the test app listens on a port chosen at start.
    t.config.publicUrl = t.url;
  }, 120_000);
  afterAll(async () => {
    await Promise.all(contexts.map((context) => context.close().catch(() => undefined)));
    await browser?.close();
    await t?.close();
  });

  async function newPage(viewport = { width: 1180, height: 860 }, path = '/demo'): Promise<Page> {
    const context = await browser.newContext({ viewport });
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
    await page.goto(t.url + path);
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

  /** How far the page is wider than the window (0: no horizontal scroll). */
  async function overflow(page: Page): Promise<number> {
    return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
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
      // Not confirmed yet: the page says so (and where development mail goes) instead of failing
      // on contacts and the stream, and nothing shows the user as online.
      expect(await page.isVisible('#confirm-banner')).toBe(true);
      expect(await page.textContent('#confirm-banner')).toContain('DATA_DIR/mail');
      expect(await page.getAttribute('#live-state', 'data-state')).toBe('unconfirmed');
      expect(await page.getAttribute('#me-nick .dot', 'data-state')).toBe('offline');
      await shot(page, '01-registered');

      // The link is opened elsewhere (another tab, a phone): this page notices by itself.
      const link = new URL(linkIn(await waitForMail(t, email, /Confirm/), '/auth/confirm'));
      await t
        .http()
        .get(link.pathname + link.search)
        .expect(302);
      await page.waitForSelector('#confirm-banner', { state: 'hidden' });
      await page.waitForSelector('#live-state[data-state="on"]');
      expect(await page.getAttribute('#me-nick .dot', 'data-state')).toBe('online');
      expect(await page.isVisible('#contacts-card.disabled')).toBe(false);
      expect(problemsOf(page)).toEqual([]);
    },
    STEP_MS * 3,
  );

  it(
    'resets a forgotten password from the login form through the mailed link',
    async () => {
      const ann = await createUser(t, { nick: `Ann Reset ${Date.now().toString(36)}` });
      const page = await newPage();
      await page.fill('#login-form [name=email]', ann.email);
      await page.click('#forgot-link');
      expect(await page.inputValue('#forgot-form [name=email]')).toBe(ann.email);
      await page.click('#forgot-form button[type=submit]');
      await page
        .locator('#forgot-form [data-success]')
        .getByText(`A link was mailed to ${ann.email}`)
        .waitFor();

      // The mailed link lands on the application's root (APP_ROOT_URL), which leads to the demo.
      const mailed = new URL(linkIn(await waitForMail(t, ann.email, /Reset/), 'password_reset_token'));
      const token = mailed.searchParams.get('password_reset_token');
      expect(token).toBeTruthy();
      const resetPage = await newPage(undefined, `/?password_reset_token=${token}`);
      await resetPage.waitForSelector('#reset-form:not([hidden])');
      expect(new URL(resetPage.url()).searchParams.has('password_reset_token')).toBe(false);
      expect(await resetPage.textContent('#reset-form')).toContain(
        'at least two kinds of: lower case, upper case, digits, others',
      );

      // The server's rules are the page's: a password of one kind is refused with the server's text.
      await resetPage.fill('#reset-form [name=password]', 'onlylowercaseletters');
      await resetPage.fill('#reset-form [name=repeat]', 'onlylowercaseletters');
      await resetPage.click('#reset-form button[type=submit]');
      await resetPage.locator('#reset-form [data-error]').getByText('at least two kinds').waitFor();

      const newPassword = 'Brand new 2nd password';
      await resetPage.fill('#reset-form [name=password]', newPassword);
      await resetPage.fill('#reset-form [name=repeat]', newPassword);
      await resetPage.click('#reset-form button[type=submit]');
      await resetPage.getByText('Password changed. Log in with the new one.').waitFor();
      await shot(resetPage, '09-password-reset');
      await logIn(resetPage, { ...ann, password: newPassword });
      expect(await resetPage.textContent('#me-email')).toBe(ann.email);
      await t.http().post('/api/v1/auth/login').send({ email: ann.email, password: PASSWORD }).expect(401);
      expect(problemsOf(resetPage)).toEqual([]);
    },
    STEP_MS * 4,
  );

  it('refreshes the contacts with one GET /users?ids= when its stream comes back after a drop', async () => {
    const [ann, bob] = await Promise.all([createUser(t), createUser(t, { nick: `Bob Away ${Date.now()}` })]);
    await befriend(t, ann, bob);
    const page = await newPage();
    await logIn(page, ann);
    await row(page, bob).waitFor();
    // End the page's stream from the server (its session's SSE code revoked): the page goes
    // offline and opens a new stream with a new code a few seconds later.
    const session = await page.evaluate<{ access_token: string }>(
      "JSON.parse(Object.values(sessionStorage).find((value) => value.includes('access_token')))",
    );
    await t
      .http()
      .delete('/api/v1/tokens/sse-code')
      .set('Authorization', `Bearer ${session.access_token}`)
      .expect(200);
    await page.waitForSelector('#live-state[data-state="off"]');
    // A change while the page had no stream: no event will tell it.
    await t
      .http()
      .patch('/api/v1/me')
      .set(bob.auth)
      .send({ status_message: 'changed while you were away' })
      .expect(200);
    const lookup = page.waitForRequest((request) => request.url().includes(`/api/v1/users?ids=${bob.id}`), {
      timeout: 3 * STEP_MS,
    });
    await page.waitForSelector('#live-state[data-state="on"]', { timeout: 3 * STEP_MS });
    await lookup;
    await until('the contact shows the new status message', async () =>
      (await row(page, bob).innerText()).includes('changed while you were away'),
    );
    expect(problemsOf(page)).toEqual([]);
  }, 60_000);

  it(
    'fits a 390 and a 320 px wide phone with no sideways scrolling',
    async () => {
      const [ann, bob, cat] = await Promise.all([
        createUser(t, { nick: `Annabelle Longname ${Date.now().toString(36)}` }),
        createUser(t, { nick: `Bob Narrow ${Date.now().toString(36)}` }),
        createUser(t, { nick: `Cat Pending ${Date.now().toString(36)}` }),
      ]);
      await befriend(t, ann, bob);
      // A one-way add: Cat's row carries the "pending" tag beside the buttons.
      await t.http().post('/api/v1/contacts').set(ann.auth).send({ user_id: cat.id }).expect(200);
      await t
        .http()
        .patch('/api/v1/me')
        .set(bob.auth)
        .send({ status_message: 'A rather long status message that has to wrap on a phone screen' })
        .expect(200);
      for (const width of [390, 320]) {
        const guest = await newPage({ width, height: 740 });
        await guest.waitForSelector('#guest:not([hidden])');
        expect(await overflow(guest)).toBe(0);
        await guest.click('[data-tab=register]');
        expect(await overflow(guest)).toBe(0);

        const page = await newPage({ width, height: 740 });
        await logIn(page, ann);
        await t
          .http()
          .patch('/api/v1/me')
          .set(bob.auth)
          .send({ nick: `Bob Narrow ${width}` })
          .expect(200);
        await page.locator('#events [data-event="user_updated"]').first().waitFor();
        await page.locator('#events details summary').first().click();
        expect(await overflow(page)).toBe(0);
        // Every control is on the screen: "Log out" and each row's buttons, not pushed past the edge.
        for (const selector of ['#logout', `#contacts .person[data-user-id="${cat.id}"] .actions button`]) {
          const box = await page.locator(selector).first().boundingBox();
          expect(box ? box.x + box.width : Infinity).toBeLessThanOrEqual(width);
        }
        await shot(page, `10-phone-${width}`);
        expect(problemsOf(page)).toEqual([]);
      }
    },
    STEP_MS * 6,
  );

  it(
    "shows a friend's nick, avatar and status change live, and their dot turning grey when they leave",
    async () => {
      const [ann, bob] = await Promise.all([
        createUser(t, { nick: `Ann ${Date.now().toString(36)}` }),
        createUser(t, { nick: `Bob ${Date.now().toString(36)}` }),
      ]);
      await befriend(t, ann, bob);
      const [annPage, bobPage] = await Promise.all([newPage(), newPage({ width: 1280, height: 860 })]);
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
      // The README's picture, refreshed by `npm run screens` (SCREENSHOTS=docs/screens).
      if (process.env.SCREENSHOTS)
        await bobPage.screenshot({ path: join(process.env.SCREENSHOTS, 'live-laptop.png') });

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
      // Nothing happens before the person confirms.
      await bobPage.locator('#confirm-dialog').getByText('Block Ann Blocked?').waitFor();
      expect((await t.http().get('/api/v1/blocks').set(bob.auth).expect(200)).body.users).toEqual([]);
      await bobPage.click('#confirm-ok');
      await bobPage.locator(`#blocks .person[data-user-id="${ann.id}"]`).waitFor();
      expect(await row(bobPage, ann).count()).toBe(0);
      await bobPage.locator('#events [data-event="blocked"]').getByText('you blocked Ann Blocked').waitFor();
      const blocked = await t.http().get('/api/v1/blocks').set(bob.auth).expect(200);
      expect(blocked.body.users.map((user: { id: number }) => user.id)).toEqual([ann.id]);
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
