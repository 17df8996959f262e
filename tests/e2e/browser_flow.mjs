// The page for people (GET /) and the docs (GET /docs) in a real browser:
// Debian's Chromium driven by playwright-core (the exact version of
// package-lock.json; no browser download, never `playwright install`).
// Run by tests/e2e/test_browser.sh, which starts the server.
//
// What a person does, through labels and buttons: sign up (a refused
// password first), log in, read the otpauth URI from the page (and the same
// from the QR, decoded by zbarimg), a wrong code, the right one (oathtool),
// create a product (a bad price first), page through the list, edit, an edit
// made stale behind the page's back (curl with another token of the same
// user) shown as a conflict and resolved, delete, log out, a locked account
// with its remaining time. Throughout: the CSP header, no CSP violation, no
// request to any host but the server, no cookie, localStorage or
// sessionStorage; the token is nowhere in the DOM. Then /docs renders the
// API's title. At phone width (390 px) nothing scrolls sideways.
//
// Environment: BASE_URL (the server), CHROMIUM (default /usr/bin/chromium),
// SCREENSHOTS_DIR (set: docs/page-desktop.png and page-phone.png there).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const BASE = process.env.BASE_URL;
if (!BASE) throw new Error('BASE_URL is not set');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SHOTS = process.env.SCREENSHOTS_DIR || '';
const PAGE_CSP = "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
const DOCS_CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; worker-src blob:; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

let steps = 0;
function step(msg) { steps++; console.log(`browser: ${msg}`); }
function assert(cond, msg) { if (!cond) throw new Error(`assertion failed: ${msg}`); }

function totp(secret, offsetSeconds = 0) {
    const args = ['--totp', '-b'];
    if (offsetSeconds) args.push('-N', `@${Math.floor(Date.now() / 1000) + offsetSeconds}`);
    return execFileSync('oathtool', [...args, secret], { encoding: 'utf8' }).trim();
}

async function api(method, path, { body, token, headers = {} } = {}) {
    const h = { Accept: 'application/json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (token) h.Authorization = `Bearer ${token}`;
    const res = await fetch(BASE + path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let data = null;
    try { data = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, data };
}

const userDataDir = mkdtempSync(join(tmpdir(), 'browser-profile-'));
const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    acceptDownloads: false,
});
const requests = [];
const cspViolations = [];
const pageErrors = [];
context.on('request', (req) => requests.push(req.url()));
const page = context.pages()[0] || await context.newPage();
page.setDefaultTimeout(15000);
page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) cspViolations.push(msg.text());
});
page.on('pageerror', (err) => pageErrors.push(String(err)));

const stamp = Date.now().toString(36);
const user = `page_${stamp}`;
const password = 'correct horse battery';
let apiToken = null;

try {
    // ---- the page and its headers -----------------------------------------------
    const first = await page.goto(BASE + '/');
    assert(first.status() === 200, `GET / is ${first.status()}`);
    assert(first.headers()['content-security-policy'] === PAGE_CSP, `CSP of /: ${first.headers()['content-security-policy']}`);
    assert((first.headers()['content-type'] || '').startsWith('text/html'), 'GET / is text/html');
    step(`GET / 200 with Content-Security-Policy: ${PAGE_CSP}`);

    const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea')]
        .filter((el) => el.labels.length === 0 && !el.getAttribute('aria-label')).map((el) => el.id || el.name));
    assert(unlabelled.length === 0, `form fields without a label: ${unlabelled}`);
    step('every form field has a label');

    // ---- sign up ----------------------------------------------------------------------
    const signup = page.locator('#signup-form');
    await signup.getByLabel('Username').fill(user);
    await signup.getByLabel('Password').fill('short');
    await signup.getByRole('button', { name: 'Sign up' }).click();
    await page.locator('#signup-password-error').filter({ hasText: /./ }).waitFor();
    assert(await signup.getByLabel('Password').getAttribute('aria-invalid') === 'true', 'the short password is marked invalid');
    step(`a short password: "${await page.locator('#signup-password-error').textContent()}" next to the field`);
    await signup.getByLabel('Password').fill(password);
    await signup.getByRole('button', { name: 'Sign up' }).click();
    await page.locator('#notice').filter({ hasText: 'created' }).waitFor();
    step(`signed up ${user}`);

    // ---- log in: the enrollment QR and URI -------------------------------------------
    const login = page.locator('#login-form');
    assert(await login.getByLabel('Username').inputValue() === user, 'the username is filled in after sign-up');
    await login.getByLabel('Password').fill(password);
    await login.getByLabel('Password').press('Enter'); // the keyboard submits
    await page.locator('#enroll').waitFor({ state: 'visible' });
    const uri = await page.getByLabel('Setup link').inputValue();
    assert(uri.startsWith('otpauth://totp/'), `the setup link is an otpauth URI: ${uri}`);
    const secret = new URL(uri).searchParams.get('secret');
    assert(/^[A-Z2-7]+=*$/.test(secret || ''), 'the URI has a base32 secret');
    const qrSrc = await page.locator('#enroll-qr').getAttribute('src');
    assert(qrSrc.startsWith('data:image/png;base64,'), 'the QR is a data: PNG');
    const qrShot = join(userDataDir, 'qr.png');
    await page.locator('#enroll-qr').screenshot({ path: qrShot });
    const decoded = execFileSync('zbarimg', ['--raw', '-q', qrShot], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    assert(decoded === uri, `zbarimg read ${decoded} from the QR on the page`);
    if (SHOTS) await page.screenshot({ path: join(tmpdir(), 'page-enroll.png') });
    step('login shows the QR (zbarimg reads the same otpauth URI as the page shows) and the URI');

    // ---- a wrong code, then the right one --------------------------------------------
    const codeInput = page.getByLabel('6-digit code');
    const right = totp(secret);
    const wrong = right === '000000' ? '111111' : '000000';
    await codeInput.fill(wrong);
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#code-form .form-error').filter({ hasText: 'not right' }).waitFor();
    step(`a wrong code: "${await page.locator('#code-form .form-error').textContent()}"`);
    await codeInput.fill(totp(secret));
    await page.getByRole('button', { name: 'Verify' }).click();
    await page.locator('#view-products, #view-recovery').filter({ visible: true }).first().waitFor();
    if (await page.locator('#view-recovery').isVisible()) {
        const n = await page.locator('#recovery-list li').count();
        assert(n === 10, `10 recovery codes shown, not ${n}`);
        await page.getByRole('button', { name: 'I have saved them' }).click();
        step('the recovery codes shown once');
    }
    await page.locator('#view-products').waitFor({ state: 'visible' });
    assert(await page.locator('#who-name').textContent() === user, 'the header names the user');
    step('the right code (oathtool) signs in');

    // Another token of the same user through the API (the next 30-second step:
    // the page used this one, and a step is accepted only once).
    let r = await api('POST', '/login', { body: { username: user, password } });
    assert(r.status === 200 && r.data['2fa_enrolled'] === true, `API login: ${r.status} ${JSON.stringify(r.data)}`);
    r = await api('POST', '/verify-2fa', { body: { username: user, code: totp(secret, 30) } });
    assert(r.status === 200 && r.data.access_token, `API verify: ${r.status} ${JSON.stringify(r.data)}`);
    apiToken = r.data.access_token;
    step('a second token for the same user through the API');

    // ---- create: a bad price first ---------------------------------------------------
    const create = page.locator('#create-form');
    await create.getByLabel('Name').fill('Laptop');
    await create.getByLabel('Description').fill('Gaming laptop');
    await create.getByLabel('Price').fill('12.345');
    await create.getByLabel('Quantity').fill('10');
    await create.getByRole('button', { name: 'Add product' }).click();
    await page.locator('#create-price-error').filter({ hasText: /./ }).waitFor();
    step(`a price with 3 decimals: "${await page.locator('#create-price-error').textContent()}" next to the field`);
    await create.getByLabel('Price').fill('1200.99');
    await create.getByRole('button', { name: 'Add product' }).click();
    await page.locator('#notice').filter({ hasText: 'Added' }).waitFor();
    const laptopRow = page.locator('#products-body tr', { hasText: 'Laptop' });
    await laptopRow.waitFor();
    assert((await laptopRow.textContent()).includes('1200.99'), 'the new row shows 1200.99');
    const laptopId = Number(await laptopRow.getAttribute('data-id'));
    step(`created Laptop (#${laptopId}) in the page`);

    // More products (through the API) for pages.
    const more = [['Mechanical keyboard', 'Brown switches, US layout', 89.9, 25], ['USB-C dock', '2 x HDMI, 100 W', 149, 8],
                  ['27" monitor', '2560 x 1440, IPS', 329.5, 5], ['Desk lamp', 'Warm white LED', 34.99, 40],
                  ['Office chair', 'Mesh back, adjustable arms', 249, 3], ['Webcam', '1080p, privacy shutter', 59.95, 12]];
    for (const [name, description, price, quantity] of more) {
        r = await api('POST', '/products', { token: apiToken, body: { name, description, price, quantity } });
        assert(r.status === 201, `API create ${name}: ${r.status}`);
    }
    await page.getByLabel('Per page').selectOption('10');
    await page.locator('#products-body tr', { hasText: 'Webcam' }).waitFor();
    step('six more products through the API show in the list');

    if (SHOTS) {
        await page.evaluate(() => {
            document.activeElement.blur();
            document.getElementById('notice').hidden = true;
            window.scrollTo(0, 0);
        });
        await page.screenshot({ path: join(SHOTS, 'page-desktop.png') });
        await page.setViewportSize({ width: 390, height: 844 });
        // at phone width, the list (each product a card) under the end of the form
        await page.evaluate(() => window.scrollTo(0, document.querySelector('.list-head').offsetTop - 120));
        await page.screenshot({ path: join(SHOTS, 'page-phone.png') });
        await page.setViewportSize({ width: 1280, height: 800 });
        step(`screenshots in ${SHOTS}/page-desktop.png and page-phone.png`);
    }

    // ---- pages ---------------------------------------------------------------------------
    await page.getByLabel('Per page').selectOption('5');
    await page.locator('#page-label').filter({ hasText: 'Page 1' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#products-body tr').length === 5);
    assert(await page.getByRole('button', { name: 'Next page' }).isEnabled(), 'Next page is enabled with 7 products, 5 a page');
    assert(await page.getByRole('button', { name: 'Previous page' }).isDisabled(), 'Previous page is disabled on page 1');
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.locator('#page-label').filter({ hasText: 'Page 2' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('#products-body tr').length === 2);
    assert(await page.getByRole('button', { name: 'Next page' }).isDisabled(), 'Next page is disabled on the last page');
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.locator('#page-label').filter({ hasText: 'Page 1' }).waitFor();
    await laptopRow.waitFor();
    step('pages of 5 (Link rel="next"): 5, then 2, and back');

    // ---- edit -------------------------------------------------------------------------
    const dialog = page.locator('#edit-dialog');
    await laptopRow.getByRole('button', { name: 'Edit Laptop' }).click();
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByLabel('Price').fill('1100.50');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await page.locator('#products-body tr', { hasText: '1100.50' }).waitFor();
    step('edited the price to 1100.50 (PUT with If-Match)');

    // ---- a stale edit: the product changes behind the page's back ----------------------
    await laptopRow.getByRole('button', { name: 'Edit Laptop' }).click();
    await dialog.waitFor({ state: 'visible' });
    const behind = execFileSync('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-X', 'PUT',
        `${BASE}/products/${laptopId}`, '-H', 'Content-Type: application/json',
        '-H', `Authorization: Bearer ${apiToken}`, '-d', '{"quantity": 3}'], { encoding: 'utf8' });
    assert(behind === '200', `curl PUT behind the page's back: ${behind}`);
    await dialog.getByLabel('Name').fill('Laptop Pro');
    await dialog.getByRole('button', { name: 'Save' }).click();
    const conflict = page.locator('#edit-conflict');
    await conflict.waitFor({ state: 'visible' });
    assert((await conflict.textContent()).includes('Someone else changed this product'), 'the conflict says what happened');
    r = await api('GET', `/products/${laptopId}`, { token: apiToken });
    assert(r.data.name === 'Laptop' && r.data.quantity === 3, `nothing saved by the stale edit: ${JSON.stringify(r.data)}`);
    step('a stale edit (412) shown as a conflict; nothing saved');
    if (SHOTS) await page.screenshot({ path: join(tmpdir(), 'page-conflict.png') });
    await page.getByRole('button', { name: 'Load the current version' }).click();
    await conflict.waitFor({ state: 'hidden' });
    assert(await dialog.getByLabel('Quantity').inputValue() === '3', 'the current version shows quantity 3');
    await dialog.getByLabel('Name').fill('Laptop Pro');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const proRow = page.locator('#products-body tr', { hasText: 'Laptop Pro' });
    await proRow.waitFor();
    r = await api('GET', `/products/${laptopId}`, { token: apiToken });
    assert(r.data.name === 'Laptop Pro' && r.data.quantity === 3 && r.data.price === 1100.5, `after the reload: ${JSON.stringify(r.data)}`);
    step('reloaded the current version and saved on top of it');

    // ---- delete, with the keyboard --------------------------------------------------------
    await proRow.getByRole('button', { name: 'Delete Laptop Pro' }).click();
    const yes = proRow.getByRole('button', { name: 'Yes, delete' });
    await yes.waitFor();
    assert(await yes.evaluate((b) => b === document.activeElement), 'the confirmation has the focus');
    await page.keyboard.press('Enter');
    await page.locator('#notice').filter({ hasText: 'Deleted' }).waitFor();
    await proRow.waitFor({ state: 'detached' });
    r = await api('GET', `/products/${laptopId}`, { token: apiToken });
    assert(r.status === 404, `the product is gone: ${r.status}`);
    step('deleted it (confirmed with Enter)');

    // ---- phone width ----------------------------------------------------------------------
    await page.setViewportSize({ width: 390, height: 844 });
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth);
    assert(sideways <= 390, `at 390 px the page is ${sideways} px wide`);
    await page.setViewportSize({ width: 1280, height: 800 });
    step('at phone width (390 px) nothing scrolls sideways');

    // ---- where the token is not ---------------------------------------------------------
    const stored = await page.evaluate(() => ({ local: localStorage.length, session: sessionStorage.length, cookie: document.cookie }));
    assert(stored.local === 0 && stored.session === 0 && stored.cookie === '', `storage: ${JSON.stringify(stored)}`);
    assert((await context.cookies()).length === 0, 'no cookies');
    assert(!(await page.content()).includes('eyJ'), 'no token in the DOM');
    step('no cookie, localStorage or sessionStorage; no token in the DOM');

    // ---- log out ---------------------------------------------------------------------------
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.locator('#view-welcome').waitFor({ state: 'visible' });
    await page.locator('#notice').filter({ hasText: 'logged out' }).waitFor();
    assert(await page.locator('#products-body tr').count() === 0, 'the products are gone from the page');
    assert(await page.locator('#who').isHidden(), 'the header no longer names the user');
    step('logged out: back to log in, the products gone from the page');

    // ---- a locked account: its remaining time ----------------------------------------------
    const victim = `lock_${stamp}`;
    r = await api('POST', '/signup', { body: { username: victim, password } });
    assert(r.status === 201, `signup ${victim}: ${r.status}`);
    const errorText = page.locator('#login-form .form-error');
    let locked = false;
    for (let i = 0; i < 12 && !locked; i++) {
        await login.getByLabel('Username').fill(victim);
        await login.getByLabel('Password').fill('wrong password!');
        await login.getByRole('button', { name: 'Log in' }).click();
        await errorText.filter({ hasText: /./ }).waitFor();
        await page.waitForFunction(() => !document.querySelector('#login-form button').disabled);
        locked = /locked/.test(await errorText.textContent());
        if (!locked) assert((await errorText.textContent()).includes('Wrong username or password'), `a wrong password: ${await errorText.textContent()}`);
    }
    assert(locked, 'the account locked');
    const lockText = await errorText.textContent();
    assert(/try again in \d+ (min|seconds?)/.test(lockText), `the lock says its remaining time: ${lockText}`);
    step(`a locked account (429 Retry-After): "${lockText}"`);

    // ---- the docs ---------------------------------------------------------------------------
    const docs = await page.goto(BASE + '/docs');
    assert(docs.status() === 200, `GET /docs is ${docs.status()}`);
    assert(docs.headers()['content-security-policy'] === DOCS_CSP, `CSP of /docs: ${docs.headers()['content-security-policy']}`);
    await page.locator('h1', { hasText: 'Integrity API' }).first().waitFor({ timeout: 30000 });
    await page.getByText('/products/{id}').first().waitFor();
    step(`GET /docs renders "${(await page.locator('h1').first().textContent()).trim()}" with Content-Security-Policy: ${DOCS_CSP}`);

    // ---- nothing left the machine; the CSP was never broken ---------------------------------
    const outside = requests.filter((u) => !u.startsWith(BASE + '/') && !u.startsWith('data:') && !u.startsWith('blob:'));
    assert(outside.length === 0, `requests to other hosts: ${outside.join(', ')}`);
    step(`${requests.length} requests, every one to ${BASE} (or data:/blob:)`);
    assert(cspViolations.length === 0, `CSP violations: ${cspViolations.join(' | ')}`);
    assert(pageErrors.length === 0, `script errors: ${pageErrors.join(' | ')}`);
    step('no CSP violation and no script error');
} catch (e) {
    const shot = join(tmpdir(), `browser-failure-${stamp}.png`);
    await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.log(`browser: FAIL: ${e.message}\nbrowser: the page at the failure: ${shot}`);
    console.log(`browser: requests: ${requests.join('\n  ')}`);
    if (cspViolations.length) console.log(`browser: CSP violations: ${cspViolations.join('\n  ')}`);
    if (pageErrors.length) console.log(`browser: script errors: ${pageErrors.join('\n  ')}`);
    await context.close();
    rmSync(userDataDir, { recursive: true, force: true });
    process.exit(1);
}
await context.close();
rmSync(userDataDir, { recursive: true, force: true });
writeFileSync(process.stdout.fd, `browser: OK (${steps} checks)\n`);
