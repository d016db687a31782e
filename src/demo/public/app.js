// Unichat demo client: plain JavaScript, no build step, no dependencies. It speaks only the public
// API under /api/v1 and the live event stream (EventSource). Each tab keeps its own session in
// sessionStorage, so two tabs can be two users; "Keep me signed in" keeps it in localStorage
// instead (then a mailed link opened in a new tab is signed in too).

const API = '/api/v1';
const STORAGE_KEY = 'unichat.demo.session';

const state = {
  session: null, // { access_token, auth_token }
  me: null,
  contacts: new Map(), // id -> contact record (public record + is_friend)
  addedMe: new Map(), // id -> public record of someone who added me and whom I have not added
  search: null, // the people the last nick search found
  blocks: new Map(), // id -> public record
  stream: null,
  streamRetry: null,
  streamOpened: false, // a stream was open since sign-in: a later open is a return after a drop
  qr: null, // { source, timer, expiresAt }
  eventCount: 0,
  confirmPoll: null,
  resetToken: null, // from the mailed link: /demo?password_reset_token=…
  blockChanges: new Set(), // `blocked:<id>` / `unblocked:<id>` this page asked for: the stream's echo is mine
  streamDelay: 5000, // the next wait before asking for a new stream; doubles up to a minute
  mfaLogin: null, // { mfa_token, keep }: a password login waiting for its second step
  recoveryCodes: null, // shown once after turning two-step login on, for the Download button
};

/** While the address is unconfirmed, GET /me this often: confirming in another tab shows here. */
const CONFIRM_POLL_MS = 3000;

const $ = (selector, root = document) => root.querySelector(selector);

/** Builds an element; children are nodes or strings (set as text, never as HTML). */
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}

// ---------------------------------------------------------------------------------------------
// The API

class ApiError extends Error {
  constructor(status, code, text, retryAfter) {
    super(text);
    this.status = status;
    this.code = code;
    this.retryAfter = retryAfter;
  }
}

/** What a person reads for an error: the service's text, unless a plainer one says more. */
function friendly(error) {
  if (!(error instanceof ApiError)) return String(error?.message ?? error);
  const wait = error.retryAfter ? ` Try again in ${error.retryAfter} s.` : '';
  switch (error.code) {
    case 'invalid_avatar':
      return error.status === 413
        ? 'That picture is too large, even made smaller: choose another one.'
        : 'That file is not a picture this service can use: choose a PNG, JPEG, GIF or WebP image.';
    case 'auth_failed':
      return 'Wrong email address or password.';
    case 'please_wait':
    case 'rate_exceeded':
      return `Too many tries for now.${wait || ' Try again in a minute.'}`;
    case 'unavailable':
      return 'The service is busy or down for a moment: try again shortly.';
    case 'internal_error':
      return 'Something went wrong on our side. Try again; if it keeps happening, tell us.';
    case 'email_not_confirmed':
      return 'Confirm your email address first: open the link we mailed you.';
    case 'invalid_mfa_code':
      return 'That code is not right, or was used already. Try the code your app shows now.';
    default:
      return error.message;
  }
}

async function call(method, path, body, { auth = true, retry = true } = {}) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (auth && state.session) headers.Authorization = `Bearer ${state.session.access_token}`;
  const response = await fetch(API + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const payload = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (response.ok) return payload;
  // An access token lives 15 minutes; the auth token gets a fresh one without the password.
  if (response.status === 401 && auth && retry && state.session?.auth_token && (await refreshAccessToken())) {
    return call(method, path, body, { auth, retry: false });
  }
  const error = payload.error ?? { code: 'internal_error', text: `HTTP ${response.status}` };
  // The session ended elsewhere (logout, password change, deletion): back to sign-in, saying why.
  if (response.status === 401 && auth && state.session) sessionEnded();
  throw Object.assign(new ApiError(response.status, error.code, error.text, error.retry_after), {
    mfaToken: error.mfa_token,
  });
}

async function refreshAccessToken() {
  try {
    const result = await call(
      'POST',
      '/auth/login',
      { auth_token: state.session.auth_token },
      { auth: false },
    );
    saveSession({ access_token: result.access_token, auth_token: state.session.auth_token });
    return true;
  } catch {
    return false;
  }
}

function saveSession(session, keep = state.session?.keep ?? false) {
  state.session = session && { ...session, keep };
  sessionStorage.removeItem(STORAGE_KEY);
  localStorage.removeItem(STORAGE_KEY);
  if (session) (keep ? localStorage : sessionStorage).setItem(STORAGE_KEY, JSON.stringify(state.session));
}

function savedSession() {
  const saved = sessionStorage.getItem(STORAGE_KEY) ?? localStorage.getItem(STORAGE_KEY);
  try {
    return saved ? JSON.parse(saved) : null;
  } catch {
    return null;
  }
}

/** The session is over (ended on another device, by a password change or reset, or deleted). */
function sessionEnded() {
  if (!state.me) {
    saveSession(null);
    return;
  }
  forgetSession();
  notify(
    'You were signed out: this session was ended elsewhere (a logout, a password change or reset). Log in again.',
  );
}

// ---------------------------------------------------------------------------------------------
// Small view helpers

const FIELD_OF_CODE = {
  invalid_email: 'email',
  invalid_nick: 'nick',
  weak_password: 'password',
  invalid_password: 'current_password',
  registration_error: 'password',
  auth_failed: 'password',
  invalid_mfa_code: 'code',
};

/** Shows (or clears) an error; in a form, the field it is about is marked invalid and described by it. */
function showError(target, error) {
  const element = typeof target === 'string' ? $(target) : target;
  element.textContent = error ? friendly(error) : '';
  const form = element.closest('form');
  if (!form) return;
  if (!element.id) element.id = `error-${Math.random().toString(36).slice(2)}`;
  for (const field of form.querySelectorAll('[aria-invalid]')) {
    field.removeAttribute('aria-invalid');
    field.setAttribute('aria-describedby', field.dataset.describedBy ?? '');
    if (!field.dataset.describedBy) field.removeAttribute('aria-describedby');
  }
  if (!error) return;
  const name = FIELD_OF_CODE[error.code];
  const field = (name && form.elements.namedItem(name)) || null;
  if (field instanceof HTMLElement) {
    field.dataset.describedBy = field.getAttribute('aria-describedby') ?? '';
    field.setAttribute('aria-invalid', 'true');
    field.setAttribute('aria-describedby', `${field.dataset.describedBy} ${element.id}`.trim());
  }
}

/**
 * Runs a form's request once: its submit button is disabled and marked busy until the answer, so
 * a double click sends one request and a slow network shows that something happens.
 */
async function busy(control, work) {
  const button = control instanceof HTMLFormElement ? control.querySelector('button[type=submit]') : control;
  if (button?.getAttribute('aria-busy') === 'true') return;
  button?.setAttribute('aria-busy', 'true');
  if (button) button.disabled = true;
  try {
    await work();
  } finally {
    button?.removeAttribute('aria-busy');
    if (button) button.disabled = false;
  }
}

/** A submit handler that runs once at a time (see busy). */
const once = (handler) => (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  void busy(form, () => handler(event, form));
};

function errorSlot(form) {
  return $('[data-error]', form);
}

// The notice sits in the page's flow under the top bar (it pushes the page down, never covers it).
let noticeTimer = null;
function notify(text) {
  $('#notice-text').textContent = text;
  $('#notice').hidden = false;
  clearTimeout(noticeTimer);
  noticeTimer = setTimeout(() => ($('#notice').hidden = true), 8000);
}

function displayName(user) {
  return user.nick ?? `User ${user.id}`;
}

const STATUS_LABELS = {
  away: 'Away',
  busy: 'Busy',
  do_not_disturb: 'Do not disturb',
  invisible: 'Invisible',
};

/** online, away, busy or offline: the colour of a presence dot. */
function presenceState(user) {
  if (!user.is_online) return 'offline';
  if (user.status === 'away') return 'away';
  if (user.status === 'busy' || user.status === 'do_not_disturb') return 'busy';
  return 'online';
}

const LAST_SEEN_HINTS = {
  recently: 'Last seen recently',
  within_week: 'Last seen within a week',
  within_month: 'Last seen within a month',
  long_ago: 'Last seen a long time ago',
};

function presenceText(user) {
  if (user.is_online) return user.status ? STATUS_LABELS[user.status] : 'Online';
  if (user.last_seen_at) return `Last seen ${relativeTime(user.last_seen_at)}`;
  // Their last-seen privacy (or mine: it is reciprocal) keeps the exact time from me.
  if (user.last_seen_hint) return LAST_SEEN_HINTS[user.last_seen_hint] ?? 'Offline';
  return 'Offline';
}

function relativeTime(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

function avatar(user, size) {
  const element = h('div', { class: `avatar ${size}` });
  if (user.avatar) {
    element.append(h('img', { src: size === 'large' ? user.avatar.full : user.avatar.small, alt: '' }));
  } else {
    const name = displayName(user);
    element.textContent = name
      .split(/\s+/)
      .slice(0, 2)
      .map((word) => word[0] ?? '')
      .join('')
      .toUpperCase();
    element.style.setProperty('--hue', String((user.id * 67) % 360));
  }
  return element;
}

// ---------------------------------------------------------------------------------------------
// Logged out: log in, register, QR

/** Panels: the three tabs, and "forgot" (under Log in) and "reset" (from the mailed link). */
function selectTab(name) {
  const tabName = name === 'forgot' || name === 'reset' || name === 'mfa' ? 'login' : name;
  for (const tab of document.querySelectorAll('[data-tab]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.tab === tabName));
    tab.tabIndex = tab.dataset.tab === tabName ? 0 : -1;
  }
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== name;
  if (name === 'qr') startQr();
  else stopQr();
}

const submitLogin = once(async (_event, form) => {
  showError(errorSlot(form), null);
  try {
    const keep = form.keep.checked;
    const result = await call(
      'POST',
      '/auth/login',
      {
        email: form.email.value.trim(),
        password: form.password.value,
      },
      { auth: false },
    );
    form.reset();
    await enter(result, keep);
  } catch (error) {
    if (error.code === 'mfa_required' && error.mfaToken) {
      // Two-step login is on: the password was right, a code from the app finishes the login.
      state.mfaLogin = { mfa_token: error.mfaToken, keep: form.keep.checked };
      form.reset();
      selectTab('mfa');
      $('#mfa-form').code.focus();
      return;
    }
    showError(errorSlot(form), error);
  }
});

const submitMfaLogin = once(async (_event, form) => {
  showError(errorSlot(form), null);
  if (!state.mfaLogin) {
    selectTab('login');
    return;
  }
  try {
    const result = await call(
      'POST',
      '/auth/login/mfa',
      { mfa_token: state.mfaLogin.mfa_token, code: form.code.value.trim() },
      { auth: false },
    );
    const { keep } = state.mfaLogin;
    state.mfaLogin = null;
    form.reset();
    await enter(result, keep);
  } catch (error) {
    if (error.code === 'invalid_token') {
      state.mfaLogin = null;
      form.reset();
      selectTab('login');
      showError(
        errorSlot($('#login-form')),
        new Error('That took too long: log in with your password again.'),
      );
      return;
    }
    showError(errorSlot(form), error);
  }
});

// ---------------------------------------------------------------------------------------------
// Passkeys (WebAuthn): the service speaks JSON with base64url strings, the browser ArrayBuffers.

const passkeysSupported = () => typeof window.PublicKeyCredential === 'function';

function fromBase64url(text) {
  const base64 = text.replaceAll('-', '+').replaceAll('_', '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0)).buffer;
}

function toBase64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}

/** The service's creation options, with their binary fields as the browser wants them. */
function creationOptions(options) {
  return {
    ...options,
    challenge: fromBase64url(options.challenge),
    user: { ...options.user, id: fromBase64url(options.user.id) },
    excludeCredentials: (options.excludeCredentials ?? []).map((credential) => ({
      ...credential,
      id: fromBase64url(credential.id),
    })),
  };
}

function requestOptions(options) {
  return {
    ...options,
    challenge: fromBase64url(options.challenge),
    ...(options.allowCredentials && {
      allowCredentials: options.allowCredentials.map((credential) => ({
        ...credential,
        id: fromBase64url(credential.id),
      })),
    }),
  };
}

/** A browser credential as JSON, binary fields in base64url (what the service verifies). */
function credentialJson(credential) {
  const response = credential.response;
  const common = { clientDataJSON: toBase64url(response.clientDataJSON) };
  const answer =
    'attestationObject' in response
      ? {
          ...common,
          attestationObject: toBase64url(response.attestationObject),
          transports: response.getTransports?.() ?? [],
        }
      : {
          ...common,
          authenticatorData: toBase64url(response.authenticatorData),
          signature: toBase64url(response.signature),
          ...(response.userHandle && { userHandle: toBase64url(response.userHandle) }),
        };
  return {
    id: credential.id,
    rawId: toBase64url(credential.rawId),
    type: credential.type,
    response: answer,
    clientExtensionResults: credential.getClientExtensionResults?.() ?? {},
    ...(credential.authenticatorAttachment && {
      authenticatorAttachment: credential.authenticatorAttachment,
    }),
  };
}

/** What the browser's own WebAuthn errors mean, plainly. */
function passkeyError(error) {
  if (error?.name === 'NotAllowedError')
    return new Error('No passkey was used: it was cancelled or timed out.');
  if (error?.name === 'InvalidStateError') return new Error('This device already holds a passkey of yours.');
  if (error?.name === 'SecurityError') return new Error('Passkeys cannot be used on this address.');
  return error;
}

async function signInWithPasskey() {
  const slot = errorSlot($('#login-form'));
  showError(slot, null);
  await busy($('#passkey-signin'), async () => {
    try {
      const { challenge_id, options } = await call('POST', '/auth/passkey/options', undefined, {
        auth: false,
      });
      let credential;
      try {
        credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      } catch (error) {
        throw passkeyError(error);
      }
      const result = await call(
        'POST',
        '/auth/passkey',
        { challenge_id, response: credentialJson(credential) },
        { auth: false },
      );
      await enter(result, $('#login-form').keep.checked);
    } catch (error) {
      showError(
        slot,
        error.code === 'auth_failed' ? new Error('That passkey is not one this service knows.') : error,
      );
    }
  });
}

const submitForgot = once(async (_event, form) => {
  showError(errorSlot(form), null);
  $('[data-success]', form).textContent = '';
  const email = form.email.value.trim();
  try {
    await call('POST', '/auth/password-reset/request', { email }, { auth: false });
    $('[data-success]', form).textContent =
      `A link was mailed to ${email}. Open it to choose a new password; it works once.`;
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

const submitReset = once(async (_event, form) => {
  showError(errorSlot(form), null);
  if (form.password.value !== form.repeat.value) {
    showError(errorSlot(form), new Error('the two passwords differ'));
    return;
  }
  try {
    await call(
      'POST',
      '/auth/password-reset',
      { token: state.resetToken, password: form.password.value },
      { auth: false },
    );
  } catch (error) {
    showError(
      errorSlot(form),
      error.code === 'invalid_token'
        ? new Error('This link is used or expired: ask for a new one with "Forgot password?".')
        : error,
    );
    return;
  }
  form.reset();
  state.resetToken = null;
  selectTab('login');
  notify('Password changed. Log in with the new one.');
});

/** The token leaves the address bar once read, so a shared screen or the history does not show it. */
function hideResetToken() {
  const url = new URL(location.href);
  url.searchParams.delete('password_reset_token');
  history.replaceState(null, '', url.pathname + url.search);
}

const submitRegister = once(async (_event, form) => {
  showError(errorSlot(form), null);
  const body = { email: form.email.value.trim(), password: form.password.value, auto_login: true };
  if (form.nick.value.trim() !== '') body.nick = form.nick.value;
  try {
    const result = await call('POST', '/auth/register', body, { auth: false });
    form.reset();
    notify(`Welcome! A confirmation link was mailed to ${result.user.email}.`);
    await enter(result);
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

async function startQr() {
  stopQr();
  const panel = $('#qr-panel');
  const frame = $('#qr-frame');
  showError(errorSlot(panel), null);
  frame.dataset.state = 'loading';
  let code;
  try {
    code = await call('POST', '/auth/qr', undefined, { auth: false });
  } catch (error) {
    frame.dataset.state = 'failed';
    $('#qr-overlay-text').textContent = 'No code';
    showError(errorSlot(panel), error);
    return;
  }
  $('#qr-image').src = code.png;
  $('#qr-uri').value = code.uri;
  $('#qr-check').textContent = code.check;
  panel.dataset.qrId = code.id;
  frame.dataset.state = 'waiting';

  const source = new EventSource(
    `${API}/auth/qr/${encodeURIComponent(code.id)}/events?key=${encodeURIComponent(code.key)}`,
  );
  const qr = { source, timer: null, expiresAt: Date.parse(code.expires_at) };
  state.qr = qr;
  source.addEventListener('qr_login', async (event) => {
    stopQr();
    frame.dataset.state = 'approved';
    const login = JSON.parse(event.data);
    await enter(login);
    notify(`Logged in with a QR code, approved from ${login.approved_by?.device ?? 'another device'}.`);
  });
  source.addEventListener('qr_expired', (event) =>
    expireQr(
      JSON.parse(event.data).reason === 'wrong_check' ? 'Wrong check number: code void' : 'Code expired',
    ),
  );
  source.addEventListener('error', () => {
    // A dropped connection is retried by EventSource itself; a refused one (closed) is final.
    if (source.readyState === EventSource.CLOSED && state.qr === qr) expireQr('Connection lost');
  });
  const tick = () => {
    const left = Math.max(0, Math.round((qr.expiresAt - Date.now()) / 1000));
    $('#qr-countdown').textContent =
      `Expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
  };
  tick();
  qr.timer = setInterval(tick, 1000);
}

function expireQr(text) {
  stopQr();
  $('#qr-frame').dataset.state = 'expired';
  $('#qr-overlay-text').textContent = text;
  $('#qr-countdown').textContent = '';
}

function stopQr() {
  if (!state.qr) return;
  state.qr.source.close();
  clearInterval(state.qr.timer);
  state.qr = null;
}

// ---------------------------------------------------------------------------------------------
// Logged in

/** After login, registration or QR login: `{user, access_token}` with the session's auth token. */
async function enter(result, keep = false) {
  saveSession({ access_token: result.access_token, auth_token: result.user.auth_token }, keep);
  state.me = result.user;
  await showApp();
}

async function showApp() {
  $('#guest').hidden = true;
  $('#app').hidden = false;
  $('#session-bar').hidden = false;
  renderMe();
  await loadSocial();
}

function showGuest() {
  $('#app').hidden = true;
  $('#session-bar').hidden = true;
  $('#guest').hidden = false;
  selectTab('login');
}

/**
 * Contacts, blocks and the live stream need a confirmed email address. Until then the page says
 * so, and asks GET /me every few seconds: the link may be opened in another tab or on a phone.
 */
async function loadSocial() {
  const confirmed = state.me.confirmed_at !== null;
  $('#confirm-banner').hidden = confirmed;
  $('#confirm-email').textContent = state.me.email;
  for (const id of ['#contacts-card', '#events-card', '#qr-approve-card']) {
    $(id).classList.toggle('disabled', !confirmed);
    // Greyed out for the eye, and out of reach of the keyboard and screen readers too.
    $(id).inert = !confirmed;
  }
  clearInterval(state.confirmPoll);
  state.confirmPoll = null;
  if (!confirmed) {
    setLive('unconfirmed', 'not confirmed');
    state.confirmPoll = setInterval(checkConfirmed, CONFIRM_POLL_MS);
    return;
  }
  await refreshLists();
  await openStream();
}

async function checkConfirmed() {
  if (!state.session || !state.me || state.me.confirmed_at !== null) return;
  let user;
  try {
    user = (await call('GET', '/me')).user;
  } catch {
    return; // Asked again at the next tick.
  }
  if (!state.me || user.confirmed_at === null) return;
  state.me = { ...state.me, ...user, auth_token: state.me.auth_token };
  renderMe();
  notify('Email address confirmed: contacts and live events are on.');
  await loadSocial();
}

function renderMe() {
  const me = state.me;
  $('#who').replaceChildren(avatar(me, 'tiny'), h('span', {}, displayName(me)));
  $('#me-avatar').replaceWith(Object.assign(avatar(me, 'large'), { id: 'me-avatar' }));
  // My own dot shows my chosen status while this page's stream is open (then I am online);
  // unconfirmed, no stream is open and nobody sees me online.
  const ownState =
    me.confirmed_at === null
      ? 'offline'
      : me.status === 'invisible'
        ? 'invisible'
        : presenceState({ ...me, is_online: true });
  $('#me-nick').replaceChildren(
    h('span', { class: 'dot', dataset: { state: ownState } }),
    displayName(me),
    ...(me.status_message ? [h('span', { class: 'status-message' }, me.status_message)] : []),
  );
  $('#me-email').textContent = me.email + (me.pending_email ? ` (changing to ${me.pending_email})` : '');
  $('#me-id').textContent = String(me.id);
  const form = $('#profile-form');
  if (document.activeElement?.form !== form) {
    form.nick.value = me.nick ?? '';
    form.status_message.value = me.status_message ?? '';
    form.last_seen_visibility.value = me.last_seen_visibility ?? 'everyone';
  }
  $('#status-select').value = me.status ?? '';
  $('#avatar-remove').hidden = !me.avatar;
}

const submitProfile = once(async (_event, form) => {
  showError(errorSlot(form), null);
  const body = {};
  if (form.nick.value.trim() !== (state.me.nick ?? '')) body.nick = form.nick.value;
  if (form.status_message.value !== (state.me.status_message ?? ''))
    body.status_message = form.status_message.value;
  const privacyChanged = form.last_seen_visibility.value !== state.me.last_seen_visibility;
  if (privacyChanged) body.last_seen_visibility = form.last_seen_visibility.value;
  if (Object.keys(body).length === 0) return;
  try {
    state.me = { ...state.me, ...(await call('PATCH', '/me', body)).user };
    // Reciprocal: what I see of others' last seen changes with my own setting.
    if (privacyChanged) void refreshLists();
    form.querySelector('button').blur();
    renderMe();
    notify('Profile saved.');
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

async function changeStatus(event) {
  showError('#status-error', null);
  try {
    state.me = {
      ...state.me,
      ...(await call('PUT', '/me/status', { status: event.target.value || null })).user,
    };
    renderMe();
  } catch (error) {
    showError('#status-error', error);
    renderMe();
  }
}

/** The service takes pictures up to 2 MB and keeps at most 1024 px: a phone photo is made that small here. */
const AVATAR_MAX_PX = 1024;
const AVATAR_MAX_BYTES = 2 * 1024 * 1024;

async function shrinkPicture(file) {
  const bitmap = await createImageBitmap(file).catch(() => {
    throw new Error(
      'That file is not a picture this browser can read: choose a PNG, JPEG, GIF or WebP image.',
    );
  });
  const scale = Math.min(1, AVATAR_MAX_PX / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  for (const quality of [0.9, 0.75, 0.6]) {
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
    if (blob && blob.size < AVATAR_MAX_BYTES) return blob;
  }
  throw new Error('That picture is too large even made smaller: choose another one.');
}

/**
 * PUT /me/avatar as a file, through XMLHttpRequest: unlike fetch it reports how much of the body
 * has left, which the progress bar shows. Same rules as `call` for the session.
 */
function uploadAvatar(picture, onProgress, retry = true) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    body.append('file', picture, picture.type === 'image/gif' ? 'avatar.gif' : 'avatar.jpg');
    const request = new XMLHttpRequest();
    request.open('PUT', `${API}/me/avatar`);
    request.setRequestHeader('Accept', 'application/json');
    request.setRequestHeader('Authorization', `Bearer ${state.session.access_token}`);
    request.responseType = 'json';
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    request.onerror = () => reject(new Error('The picture could not be sent: check the connection.'));
    request.onload = async () => {
      const payload = request.response ?? {};
      if (request.status >= 200 && request.status < 300) return resolve(payload);
      if (request.status === 401 && retry && state.session?.auth_token && (await refreshAccessToken())) {
        return uploadAvatar(picture, onProgress, false).then(resolve, reject);
      }
      const error = payload.error ?? { code: 'internal_error', text: `HTTP ${request.status}` };
      if (request.status === 401 && state.session) sessionEnded();
      reject(new ApiError(request.status, error.code, error.text, error.retry_after));
    };
    request.send(body);
  });
}

async function changeAvatar(event) {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  showError('#status-error', null);
  const status = $('#avatar-progress');
  const bar = $('#avatar-progress-bar');
  const say = (text) => ($('#avatar-progress-text').textContent = text);
  try {
    status.hidden = false;
    bar.removeAttribute('value'); // indeterminate while the picture is made smaller
    say('Preparing the picture…');
    // An animated GIF small enough goes as it is (a canvas would keep its first frame only).
    const picture =
      file.type === 'image/gif' && file.size < AVATAR_MAX_BYTES ? file : await shrinkPicture(file);
    say(`Uploading ${Math.max(1, Math.round(picture.size / 1024))} KB…`);
    bar.value = 0;
    const result = await uploadAvatar(picture, (part) => (bar.value = part));
    bar.value = 1;
    state.me = { ...state.me, ...result.user };
    renderMe();
  } catch (error) {
    showError('#status-error', error);
  } finally {
    status.hidden = true;
  }
}

async function removeAvatar() {
  showError('#status-error', null);
  try {
    state.me = { ...state.me, ...(await call('DELETE', '/me/avatar')).user };
    renderMe();
  } catch (error) {
    showError('#status-error', error);
  }
}

function personRow(user, actions, extra = null) {
  return h(
    'li',
    { class: 'person', dataset: { userId: String(user.id) } },
    avatar(user, 'small'),
    h(
      'div',
      { class: 'person-text' },
      h(
        'div',
        { class: 'person-name' },
        h('span', { class: 'dot', dataset: { state: presenceState(user) } }),
        displayName(user),
        extra,
      ),
      h(
        'div',
        { class: 'muted small person-status' },
        [presenceText(user), user.status_message].filter(Boolean).join(' · '),
      ),
    ),
    h('div', { class: 'actions' }, actions),
  );
}

function renderContacts() {
  const list = $('#contacts');
  const contacts = [...state.contacts.values()].filter((user) => !state.blocks.has(user.id));
  contacts.sort(
    (a, b) => Number(b.is_online) - Number(a.is_online) || displayName(a).localeCompare(displayName(b)),
  );
  list.replaceChildren(
    ...contacts.map((user) =>
      personRow(
        user,
        [
          h('button', { type: 'button', class: 'ghost small', onclick: () => confirmBlock(user) }, 'Block'),
          h(
            'button',
            { type: 'button', class: 'ghost small', onclick: () => removeContact(user.id) },
            'Remove',
          ),
        ],
        user.is_friend
          ? null
          : h('span', { class: 'tag', title: 'They have not added you back yet' }, 'pending'),
      ),
    ),
  );
  $('#contacts-empty').hidden = state.contacts.size > 0;
  $('#contacts-count').textContent = contacts.length ? String(contacts.length) : '';
}

function renderBlocks() {
  const users = [...state.blocks.values()];
  $('#blocks').replaceChildren(
    ...users.map((user) =>
      personRow(user, [
        h('button', { type: 'button', class: 'ghost small', onclick: () => unblock(user.id) }, 'Unblock'),
      ]),
    ),
  );
  $('#blocks-empty').hidden = users.length > 0;
}

const addContact = once(async (_event, form) => {
  showError('#contacts-error', null);
  try {
    await addUser(Number(form.user_id.value));
    form.reset();
  } catch (error) {
    showError('#contacts-error', error);
  }
});

async function addUser(id) {
  const { user } = await call('POST', '/contacts', { user_id: id });
  state.contacts.set(user.id, user);
  state.addedMe.delete(user.id);
  renderContacts();
  renderAddedMe();
  renderSearch();
}

/** A button that adds someone, once, and says why it could not. */
function addButton(user, label) {
  const button = h('button', { type: 'button', class: 'primary small' }, label);
  button.addEventListener('click', () =>
    busy(button, async () => {
      showError('#contacts-error', null);
      try {
        await addUser(user.id);
      } catch (error) {
        showError('#contacts-error', error);
      }
    }),
  );
  return button;
}

const searchPeople = once(async (_event, form) => {
  showError('#contacts-error', null);
  try {
    const { users } = await call('GET', `/users?nick=${encodeURIComponent(form.nick.value.trim())}`);
    state.search = users;
    renderSearch();
  } catch (error) {
    showError('#contacts-error', error);
  }
});

function renderSearch() {
  const users = (state.search ?? []).filter((user) => user.id !== state.me?.id);
  $('#search-results').replaceChildren(
    ...users.map((user) =>
      personRow(
        user,
        state.contacts.has(user.id)
          ? [h('span', { class: 'tag' }, 'in your contacts')]
          : [addButton(user, `Add ${displayName(user)}`)],
      ),
    ),
  );
  $('#search-empty').hidden = state.search === null || users.length > 0;
}

function renderAddedMe() {
  const users = [...state.addedMe.values()];
  $('#added-me').replaceChildren(...users.map((user) => personRow(user, [addButton(user, 'Add back')])));
  $('#added-me-section').hidden = users.length === 0;
}

async function refreshAddedMe() {
  try {
    const { users } = await call('GET', '/contacts/added-me');
    state.addedMe = new Map(users.map((user) => [user.id, user]));
    renderAddedMe();
  } catch (error) {
    showError('#contacts-error', error);
  }
}

/**
 * Asks before anything happens: a dialog with a title, a sentence, and the button that does it
 * (optionally asking for the password). Answers the password (or '') once confirmed, null when not.
 */
function confirmAction({ title, text, action, password = false, perform }) {
  const dialog = $('#confirm-dialog');
  $('#confirm-title').textContent = title;
  $('#confirm-text').textContent = text;
  $('#confirm-ok').textContent = action;
  $('#confirm-password-label').hidden = !password;
  const input = dialog.querySelector('[name=password]');
  input.value = '';
  input.required = password;
  showError('#confirm-error', null);
  dialog.onsubmit = (event) => {
    if (event.submitter?.value !== 'ok') return;
    event.preventDefault();
    void busy($('#confirm-ok'), async () => {
      try {
        await perform(input.value);
        dialog.close();
      } catch (error) {
        showError('#confirm-error', error);
      }
    });
  };
  dialog.showModal();
  (password ? input : $('#confirm-cancel')).focus();
}

function confirmBlock(user) {
  confirmAction({
    title: `Block ${displayName(user)}?`,
    text: 'They will see you as offline, with no picture or status, hear nothing from you and cannot add you. You can unblock them later.',
    action: 'Block',
    perform: () => block(user.id),
  });
}

async function removeContact(id) {
  showError('#contacts-error', null);
  try {
    await call('DELETE', `/contacts/${id}`);
    state.contacts.delete(id);
    renderContacts();
  } catch (error) {
    showError('#contacts-error', error);
  }
}

// Block and unblock update the lists at once (the stream's event for it may arrive before the
// answer); the change is remembered as this page's own, so its echo on the stream reads "you …".
async function block(id) {
  showError('#contacts-error', null);
  state.blockChanges.add(`blocked:${id}`);
  state.blocks.set(id, state.contacts.get(id) ?? { id, nick: null, avatar: null, is_online: false });
  renderContacts();
  renderBlocks();
  try {
    await call('POST', '/blocks', { user_id: id });
  } catch (error) {
    state.blockChanges.delete(`blocked:${id}`);
    showError('#contacts-error', error);
  }
  await refreshLists();
}

async function unblock(id) {
  showError('#contacts-error', null);
  state.blockChanges.add(`unblocked:${id}`);
  state.blocks.delete(id);
  renderContacts();
  renderBlocks();
  try {
    await call('DELETE', `/blocks/${id}`);
  } catch (error) {
    state.blockChanges.delete(`unblocked:${id}`);
    showError('#contacts-error', error);
  }
  await refreshLists();
}

async function refreshLists() {
  try {
    const [contacts, blocks] = await Promise.all([call('GET', '/contacts'), call('GET', '/blocks')]);
    state.contacts = new Map(contacts.users.map((user) => [user.id, user]));
    state.blocks = new Map(blocks.users.map((user) => [user.id, user]));
    renderContacts();
    renderBlocks();
  } catch (error) {
    showError('#contacts-error', error);
  }
  await refreshAddedMe();
}

/**
 * The shown contacts' records in one request. The answer carries an ETag and `no-cache`, so the
 * browser asks with If-None-Match and the server answers 304 while nothing shown changed.
 */
async function refreshContactRecords() {
  const ids = [...state.contacts.keys()].slice(0, 100);
  if (ids.length === 0) return;
  try {
    const { users } = await call('GET', `/users?ids=${ids.join(',')}`);
    for (const user of users) {
      const known = state.contacts.get(user.id);
      if (known) state.contacts.set(user.id, { ...known, ...user });
    }
    renderContacts();
  } catch (error) {
    showError('#contacts-error', error);
  }
}

/** Step one shows which browser asks (GET /auth/qr/:id); step two approves with its check number. */
const approveQr = once(async (_event, form) => {
  const details = $('#qr-approve-details');
  showError('#qr-approve-error', null);
  let id;
  let key;
  try {
    const link = new URL(form.uri.value.trim());
    id = link.searchParams.get('id');
    key = link.searchParams.get('key');
  } catch {
    // handled below
  }
  if (!id || !key) {
    showError('#qr-approve-error', new Error('paste the whole link: unichat://qr-login?id=…&key=…'));
    return;
  }
  try {
    if (details.hidden || details.dataset.qrId !== id) {
      const shown = await call('GET', `/auth/qr/${encodeURIComponent(id)}?key=${encodeURIComponent(key)}`);
      $('#qr-approve-who').textContent =
        `${shown.device} at ${shown.ip ?? 'an unknown address'} asked ${relativeTime(shown.created_at)}. ` +
        'Only approve a browser you are looking at: type the check number its page shows.';
      details.dataset.qrId = id;
      details.hidden = false;
      form.check.value = '';
      form.check.focus();
      return;
    }
    await call('POST', `/auth/qr/${encodeURIComponent(id)}/approve`, { key, check: form.check.value.trim() });
    form.reset();
    details.hidden = true;
    notify('Approved: that browser is now logged in as you.');
  } catch (error) {
    details.hidden = true;
    showError('#qr-approve-error', error);
  }
});

async function logout() {
  try {
    await call('POST', '/auth/logout', {}, { retry: false });
  } catch {
    // The session may be gone already; this tab forgets it either way.
  }
  forgetSession();
}

/** This tab forgets the session and everything shown for it, and shows the sign-in. */
function forgetSession() {
  closeStream();
  clearInterval(state.confirmPoll);
  state.confirmPoll = null;
  saveSession(null);
  state.me = null;
  state.search = null;
  state.addedMe = new Map();
  $('#search-results').replaceChildren();
  $('#added-me-section').hidden = true;
  for (const details of document.querySelectorAll('#account-card details')) details.open = false;
  state.recoveryCodes = null;
  state.mfaLogin = null;
  $('#mfa-code-list').replaceChildren();
  $('#mfa-qr').removeAttribute('src');
  $('#mfa-secret').textContent = '';
  showMfaStep('none');
  $('#push-status').textContent = '';
  state.contacts.clear();
  state.blocks.clear();
  state.streamOpened = false;
  $('#events').replaceChildren();
  state.eventCount = 0;
  renderEventCount();
  showGuest();
}

// ---------------------------------------------------------------------------------------------
// Account settings

async function loadSessions() {
  showError('#sessions-error', null);
  try {
    const { sessions } = await call('GET', '/tokens/sessions');
    $('#sessions').replaceChildren(
      ...sessions.map((session) => {
        const end = h('button', { type: 'button', class: 'ghost small' }, 'Sign out');
        end.addEventListener('click', () =>
          busy(end, async () => {
            try {
              await call('DELETE', `/tokens/sessions/${session.id}`);
              notify('That session was signed out.');
              await loadSessions();
            } catch (error) {
              showError('#sessions-error', error);
            }
          }),
        );
        return h(
          'li',
          { class: 'session-row', dataset: { sessionId: String(session.id) } },
          h(
            'div',
            {},
            h('strong', {}, deviceName(session.user_agent)),
            session.current ? h('span', { class: 'tag' }, 'this browser') : null,
            h(
              'div',
              { class: 'muted small' },
              `${session.ip ?? 'unknown address'} · signed in ${relativeTime(session.created_at)} · last used ${relativeTime(session.last_used_at ?? session.created_at)}`,
            ),
          ),
          session.current ? null : end,
        );
      }),
    );
  } catch (error) {
    showError('#sessions-error', error);
  }
}

/** "Chrome on macOS" from a user agent, plainly. */
function deviceName(userAgent) {
  if (!userAgent) return 'Unknown device';
  const browser = /Edg\//.test(userAgent)
    ? 'Edge'
    : /Firefox\//.test(userAgent)
      ? 'Firefox'
      : /Chrome\//.test(userAgent)
        ? 'Chrome'
        : /Safari\//.test(userAgent)
          ? 'Safari'
          : 'An app';
  const system = /Android/.test(userAgent)
    ? 'Android'
    : /iPhone|iPad/.test(userAgent)
      ? 'iOS'
      : /Mac OS X/.test(userAgent)
        ? 'macOS'
        : /Windows/.test(userAgent)
          ? 'Windows'
          : /Linux/.test(userAgent)
            ? 'Linux'
            : null;
  return system ? `${browser} on ${system}` : browser;
}

const changePassword = once(async (_event, form) => {
  showError(errorSlot(form), null);
  try {
    state.me = {
      ...state.me,
      ...(
        await call('PATCH', '/me', {
          password: form.password.value,
          current_password: form.current_password.value,
        })
      ).user,
    };
    form.reset();
    form.closest('details').open = false;
    notify('Password changed. Your other sessions were signed out.');
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

const changeEmail = once(async (_event, form) => {
  showError(errorSlot(form), null);
  const email = form.email.value.trim();
  try {
    state.me = {
      ...state.me,
      ...(await call('PATCH', '/me', { email, current_password: form.current_password.value })).user,
    };
    form.reset();
    form.closest('details').open = false;
    renderMe();
    notify(`A link was mailed to ${email}: the address changes once you open it.`);
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

const ACTIVITY_LABELS = {
  login: 'Signed in',
  login_failed: 'Failed sign-in',
  logout: 'Signed out',
  session_ended: 'Session ended',
  password_changed: 'Password changed',
  password_reset: 'Password reset',
  email_confirmed: 'Email confirmed',
  email_change_requested: 'Email change asked',
  email_change_confirmed: 'Email changed',
  device_added: 'Device added',
  device_moved: 'Device moved to another account',
  account_exported: 'Data downloaded',
};

async function loadActivity() {
  showError('#activity-error', null);
  try {
    const { events } = await call('GET', '/me/activity?limit=20');
    $('#activity').replaceChildren(
      ...events.map((event) =>
        h(
          'li',
          { dataset: { type: event.type } },
          h('strong', {}, ACTIVITY_LABELS[event.type] ?? event.type.replaceAll('_', ' ')),
          h(
            'span',
            { class: 'muted small' },
            ` ${relativeTime(event.created_at)} · ${event.ip ?? 'unknown address'} · ${deviceName(event.user_agent)}`,
          ),
        ),
      ),
    );
  } catch (error) {
    showError('#activity-error', error);
  }
}

// Two-step login: off → password → QR code and key → first code → recovery codes shown once.

function showMfaStep(step) {
  $('#mfa-on-form').hidden = step !== 'off';
  $('#mfa-setup').hidden = step !== 'setup';
  $('#mfa-codes').hidden = step !== 'codes';
  $('#mfa-off-form').hidden = step !== 'on';
}

async function loadMfa() {
  showError('#mfa-error', null);
  if (!$('#mfa-codes').hidden) return; // The recovery codes stay until "I have saved them".
  try {
    const status = await call('GET', '/me/mfa');
    $('#mfa-status').textContent = status.totp
      ? `Two-step login is on. Recovery codes left: ${status.recovery_codes_left}.`
      : 'Two-step login is off: your password alone logs you in.';
    showMfaStep(status.totp ? 'on' : 'off');
  } catch (error) {
    showError('#mfa-error', error);
  }
}

const startMfa = once(async (_event, form) => {
  showError(errorSlot(form), null);
  try {
    // An account without a password (made by a provider's sign-in) sends none: a fresh sign-in stands in.
    const password = form.current_password.value;
    const setup = await call('POST', '/me/mfa/totp', password ? { current_password: password } : {});
    form.reset();
    $('#mfa-qr').src = setup.png;
    $('#mfa-secret').textContent = setup.secret;
    showMfaStep('setup');
    $('#mfa-confirm-form').code.focus();
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

const confirmMfa = once(async (_event, form) => {
  showError(errorSlot(form), null);
  try {
    const { recovery_codes } = await call('POST', '/me/mfa/totp/confirm', { code: form.code.value.trim() });
    form.reset();
    $('#mfa-qr').removeAttribute('src');
    $('#mfa-secret').textContent = '';
    state.recoveryCodes = recovery_codes;
    $('#mfa-code-list').replaceChildren(...recovery_codes.map((code) => h('li', {}, code)));
    $('#mfa-status').textContent = 'Two-step login is on.';
    showMfaStep('codes');
    notify('Two-step login is on. Save your recovery codes now.');
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

function downloadRecoveryCodes() {
  const text = `Unichat recovery codes for ${state.me.email}\nEach one logs you in once instead of a code from your app.\n\n${(state.recoveryCodes ?? []).join('\n')}\n`;
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain' }));
  const link = h('a', { href: url, download: 'unichat-recovery-codes.txt' });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function doneWithRecoveryCodes() {
  state.recoveryCodes = null;
  $('#mfa-code-list').replaceChildren();
  showMfaStep('none');
  void loadMfa();
}

const stopMfa = once(async (_event, form) => {
  showError(errorSlot(form), null);
  try {
    await call('DELETE', '/me/mfa/totp', { code: form.code.value.trim() });
    form.reset();
    notify('Two-step login is off.');
    await loadMfa();
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

async function loadPasskeys() {
  showError('#passkeys-error', null);
  const supported = passkeysSupported();
  $('#passkey-add-form').hidden = !supported;
  $('#passkeys-unsupported').hidden = supported;
  try {
    const { passkeys } = await call('GET', '/me/passkeys');
    $('#passkeys-empty').hidden = passkeys.length > 0;
    $('#passkeys').replaceChildren(
      ...passkeys.map((passkey) => {
        const remove = h(
          'button',
          { type: 'button', class: 'ghost small', 'aria-label': `Remove ${passkey.name}` },
          'Remove',
        );
        remove.addEventListener('click', () =>
          busy(remove, async () => {
            try {
              await call('DELETE', `/me/passkeys/${passkey.id}`);
              notify(`The passkey "${passkey.name}" was removed: it signs nobody in now.`);
              await loadPasskeys();
            } catch (error) {
              showError('#passkeys-error', error);
            }
          }),
        );
        return h(
          'li',
          { class: 'session-row', dataset: { passkeyId: String(passkey.id) } },
          h(
            'div',
            {},
            h('strong', {}, passkey.name),
            h(
              'div',
              { class: 'muted small' },
              `added ${relativeTime(passkey.created_at)} · ${passkey.last_used_at ? `last used ${relativeTime(passkey.last_used_at)}` : 'never used'}`,
            ),
          ),
          remove,
        );
      }),
    );
  } catch (error) {
    showError('#passkeys-error', error);
  }
}

const addPasskey = once(async (_event, form) => {
  showError(errorSlot(form), null);
  try {
    const options = await call('POST', '/me/passkeys/options');
    let credential;
    try {
      credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    } catch (error) {
      throw passkeyError(error);
    }
    const name = form.name.value.trim();
    await call('POST', '/me/passkeys', { response: credentialJson(credential), name });
    form.reset();
    notify(`Passkey "${name}" added: "Sign in with a passkey" works with it now.`);
    await loadPasskeys();
  } catch (error) {
    showError(errorSlot(form), error);
  }
});

// Web Push: this browser becomes one of my devices, its service worker shows the notifications.

const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window;

async function turnOnPush() {
  showError('#push-error', null);
  $('#push-status').textContent = '';
  await busy($('#push-on'), async () => {
    try {
      const registration = await navigator.serviceWorker.register('/demo/sw.js');
      await activated(registration);
      const { public_key } = await call('GET', '/push/vapid-public-key', undefined, { auth: false });
      let subscription;
      try {
        subscription = await registration.pushManager.subscribe({
          userVisibleOnly: true,
          applicationServerKey: fromBase64url(public_key),
        });
      } catch (error) {
        throw new Error(
          error.name === 'NotAllowedError'
            ? 'This browser does not allow notifications from this page: allow them in its settings, then try again.'
            : `This browser could not sign up with its push service: ${error.message}`,
        );
      }
      await call('POST', '/devices', {
        token: JSON.stringify(subscription.toJSON()),
        notification_service: 'web_push',
      });
      $('#push-status').textContent = 'Done: this browser shows Unichat notifications now.';
    } catch (error) {
      showError('#push-error', error);
    }
  });
}

/** Push needs an active service worker: a fresh registration is still installing. */
async function activated(registration) {
  const worker = registration.installing ?? registration.waiting;
  if (registration.active || !worker) return;
  await new Promise((resolve, reject) =>
    worker.addEventListener('statechange', () => {
      if (worker.state === 'activated') resolve();
      if (worker.state === 'redundant')
        reject(new Error('The notification helper of this page did not start.'));
    }),
  );
}

async function exportData() {
  showError('#account-error', null);
  await busy($('#export'), async () => {
    try {
      const data = await call('GET', '/me/export');
      const url = URL.createObjectURL(
        new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }),
      );
      const link = h('a', { href: url, download: `unichat-${state.me.id}-export.json` });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (error) {
      showError('#account-error', error);
    }
  });
}

function deleteAccount() {
  confirmAction({
    title: 'Delete your account?',
    text: 'Your profile, contacts, blocks and sessions are removed for good, and your friends are told. This cannot be undone.',
    action: 'Delete my account',
    password: true,
    perform: async (password) => {
      await call('DELETE', '/me', { current_password: password });
      forgetSession();
      notify('Your account was deleted.');
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The live event stream

async function openStream() {
  closeStream();
  let code;
  try {
    code = (await call('POST', '/tokens/sse-code')).code;
  } catch (error) {
    setLive('off', 'offline');
    // 401: the session is over (call went back to sign-in); 403: not confirmed yet.
    if (error.status !== 401 && error.status !== 403) scheduleStreamRetry();
    return;
  }
  const source = new EventSource(`${API}/events?code=${encodeURIComponent(code)}`);
  state.stream = source;
  setLive('connecting', 'connecting');
  source.addEventListener('open', () => {
    setLive('on', 'live');
    state.streamDelay = 5000;
    // Back after a drop: what the contacts show may have changed meanwhile.
    if (state.streamOpened) void refreshContactRecords();
    state.streamOpened = true;
  });
  source.addEventListener('error', () => {
    if (state.stream !== source) return;
    if (source.readyState === EventSource.CLOSED) {
      // Refused (a revoked code): ask for a fresh one in a moment.
      setLive('off', 'offline');
      scheduleStreamRetry();
    } else {
      setLive('connecting', 'reconnecting');
    }
  });
  for (const name of ['user_updated', 'presence', 'contact_added', 'blocked', 'unblocked', 'resync']) {
    source.addEventListener(name, (event) => onStreamEvent(name, event.data ? JSON.parse(event.data) : {}));
  }
}

function scheduleStreamRetry() {
  clearTimeout(state.streamRetry);
  state.streamRetry = setTimeout(() => state.session && state.me && openStream(), state.streamDelay);
  state.streamDelay = Math.min(60_000, state.streamDelay * 2);
}

function closeStream() {
  clearTimeout(state.streamRetry);
  state.stream?.close();
  state.stream = null;
  setLive('off', 'offline');
}

function setLive(value, text) {
  const element = $('#live-state');
  element.dataset.state = value;
  element.textContent = text;
}

function onStreamEvent(name, data) {
  let summary = '';
  switch (name) {
    case 'user_updated': {
      if (data.user.id === state.me.id) {
        state.me = { ...state.me, ...data.user, auth_token: state.me.auth_token };
        renderMe();
        summary = 'your profile changed';
      } else {
        const known = state.contacts.get(data.user.id);
        if (known) state.contacts.set(data.user.id, { ...known, ...data.user });
        renderContacts();
        summary = `${displayName(data.user)} updated their profile`;
      }
      break;
    }
    case 'presence': {
      const known = state.contacts.get(data.user_id);
      if (known) {
        state.contacts.set(data.user_id, { ...known, ...data, id: data.user_id });
        renderContacts();
      }
      const who = known ? displayName(known) : `User ${data.user_id}`;
      summary = `${who} is ${data.is_online ? (data.status ? STATUS_LABELS[data.status].toLowerCase() : 'online') : 'offline'}`;
      break;
    }
    case 'contact_added': {
      summary = `${displayName(data.user)} added you as a contact`;
      if (!state.contacts.has(data.user.id))
        notify(`${displayName(data.user)} (id ${data.user.id}) added you. Add them back to be friends.`);
      else void refreshLists();
      break;
    }
    case 'blocked':
    case 'unblocked': {
      void announceBlockChange(name, data);
      return;
    }
    case 'resync': {
      summary = 'missed events: reloading';
      void refreshLists();
      break;
    }
  }
  logEvent(name, summary, data);
}

/**
 * Both sides hear of a block or unblock. It is mine when this page asked for it; else an unblock is
 * mine when I held that block, and a block is mine when my own list of blocks now holds it (done
 * from another device of mine). Otherwise the other side did it.
 */
async function announceBlockChange(name, data) {
  const id = data.user_id;
  const other = state.contacts.get(id) ?? state.blocks.get(id);
  const who = other ? displayName(other) : `user ${id}`;
  const heldBefore = state.blocks.has(id);
  const asked = state.blockChanges.delete(`${name}:${id}`);
  await refreshLists();
  const mine = asked || (name === 'unblocked' ? heldBefore : state.blocks.has(id));
  logEvent(name, mine ? `you ${name} ${who}` : `${who} ${name} you`, data);
}

function logEvent(name, summary, data) {
  const time = new Date().toLocaleTimeString([], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  const entry = h(
    'li',
    { class: 'event', dataset: { event: name } },
    h('time', {}, time),
    h('span', { class: 'event-name' }, name),
    h('span', { class: 'event-summary' }, summary),
    h('details', {}, h('summary', {}, 'data'), h('pre', {}, JSON.stringify(data, null, 2))),
  );
  const list = $('#events');
  list.prepend(entry);
  while (list.children.length > 100) list.lastElementChild.remove();
  state.eventCount += 1;
  renderEventCount();
}

function renderEventCount() {
  $('#events-count').textContent = state.eventCount ? String(state.eventCount) : '';
  $('#events-empty').hidden = state.eventCount > 0;
}

// ---------------------------------------------------------------------------------------------
// Start

async function resendConfirmation() {
  try {
    await call('POST', '/auth/resend-confirmation', { email: state.me.email }, { auth: false });
    notify(`Sent again to ${state.me.email}.`);
  } catch (error) {
    notify(error.message);
  }
}

function wire() {
  for (const tab of document.querySelectorAll('[data-tab]'))
    tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  $('#login-form').addEventListener('submit', submitLogin);
  $('#register-form').addEventListener('submit', submitRegister);
  $('#qr-renew').addEventListener('click', startQr);
  $('#qr-copy').addEventListener('click', async () => {
    await navigator.clipboard?.writeText($('#qr-uri').value).catch(() => undefined);
    $('#qr-uri').select();
  });
  $('#logout').addEventListener('click', logout);
  $('#profile-form').addEventListener('submit', submitProfile);
  $('#status-select').addEventListener('change', changeStatus);
  $('#avatar-file').addEventListener('change', changeAvatar);
  $('#avatar-remove').addEventListener('click', removeAvatar);
  $('#add-contact-form').addEventListener('submit', addContact);
  $('#search-form').addEventListener('submit', searchPeople);
  $('#password-form').addEventListener('submit', changePassword);
  $('#email-form').addEventListener('submit', changeEmail);
  $('#sessions-section').addEventListener('toggle', (event) => event.currentTarget.open && loadSessions());
  $('#activity-section').addEventListener('toggle', (event) => event.currentTarget.open && loadActivity());
  $('#mfa-form').addEventListener('submit', submitMfaLogin);
  $('#mfa-section').addEventListener('toggle', (event) => event.currentTarget.open && loadMfa());
  $('#mfa-on-form').addEventListener('submit', startMfa);
  $('#mfa-confirm-form').addEventListener('submit', confirmMfa);
  $('#mfa-off-form').addEventListener('submit', stopMfa);
  $('#mfa-codes-download').addEventListener('click', downloadRecoveryCodes);
  $('#mfa-codes-done').addEventListener('click', doneWithRecoveryCodes);
  $('#passkeys-section').addEventListener('toggle', (event) => event.currentTarget.open && loadPasskeys());
  $('#passkey-add-form').addEventListener('submit', addPasskey);
  $('#passkey-signin').hidden = !passkeysSupported();
  $('#passkey-signin').addEventListener('click', signInWithPasskey);
  $('#push-section').hidden = !pushSupported();
  $('#push-on').addEventListener('click', turnOnPush);
  $('#export').addEventListener('click', exportData);
  $('#delete-account').addEventListener('click', deleteAccount);
  // An error is about what was sent: typing again clears it.
  for (const form of document.querySelectorAll('form')) {
    form.addEventListener('input', () => {
      const slot = errorSlot(form);
      if (slot?.textContent) showError(slot, null);
    });
  }
  // Tabs: arrow keys move between them (and select), Home and End go to the ends.
  $('[role=tablist]').addEventListener('keydown', (event) => {
    const tabs = [...document.querySelectorAll('[role=tab]')];
    const at = tabs.indexOf(document.activeElement);
    if (at < 0) return;
    const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    const tab = tabs[(next + tabs.length) % tabs.length];
    selectTab(tab.dataset.tab);
    tab.focus();
  });
  $('#qr-approve-form').addEventListener('submit', approveQr);
  $('#resend').addEventListener('click', resendConfirmation);
  $('#forgot-link').addEventListener('click', () => {
    $('#forgot-form').email.value = $('#login-form').email.value;
    selectTab('forgot');
  });
  $('#forgot-form').addEventListener('submit', submitForgot);
  $('#reset-form').addEventListener('submit', submitReset);
  for (const back of document.querySelectorAll('[data-back]'))
    back.addEventListener('click', () => selectTab('login'));
  $('#notice-close').addEventListener('click', () => ($('#notice').hidden = true));
}

/** A "Sign in with …" button for each OpenID provider the service has (none: no buttons). */
async function showProviders() {
  let providers = [];
  try {
    providers = (await call('GET', '/auth/oidc/providers', undefined, { auth: false })).providers;
  } catch {
    return;
  }
  const names = { apple: 'Apple', google: 'Google' };
  $('#providers').append(
    ...providers.map((name) =>
      h(
        'a',
        {
          class: 'button ghost provider',
          href: `${API}/auth/oidc/${encodeURIComponent(name)}/start`,
          // The tab comes back from the provider as a new page: "Keep me signed in" waits for it here.
          onclick: () => {
            if ($('#login-form').keep.checked) sessionStorage.setItem(KEEP_AFTER_PROVIDER, '1');
            else sessionStorage.removeItem(KEEP_AFTER_PROVIDER);
          },
        },
        `Sign in with ${names[name] ?? name}`,
      ),
    ),
  );
  $('#providers').hidden = providers.length === 0;
}

/** "Keep me signed in" as it was when a "Sign in with …" button was pressed in this tab. */
const KEEP_AFTER_PROVIDER = 'unichat-keep-after-provider';

/** What the callback's `?error=` means, in plain words. */
const PROVIDER_ERRORS = {
  oidc_failed: 'Signing in with that provider did not work. Try again.',
  unavailable:
    'That sign-in provider does not answer right now. Try again in a few minutes, or log in another way.',
};

/** What a failed exchange of the provider's `login_code` means, in plain words. */
function providerSignInError(error) {
  if (error.code === 'identity_conflict')
    return 'That provider’s account cannot sign in here: an account with its email address exists, or it belongs to another account. Log in another way, then link the provider in your account settings.';
  if (error.code === 'invalid_token') return 'That sign-in took too long or was used already. Try again.';
  return `Signing in with that provider did not work: ${friendly(error)}`;
}

/** Back from a provider: `?login_code=` (one-time) is traded for a login, or `?error=` said. */
async function finishProviderSignIn(params) {
  const code = params.get('login_code');
  const url = new URL(location.href);
  url.searchParams.delete('login_code');
  history.replaceState(null, '', url.pathname + url.search);
  const keep = sessionStorage.getItem(KEEP_AFTER_PROVIDER) === '1';
  sessionStorage.removeItem(KEEP_AFTER_PROVIDER);
  try {
    await enter(await call('POST', '/auth/oidc/exchange', { login_code: code }, { auth: false }), keep);
    return true;
  } catch (error) {
    if (error.code === 'mfa_required' && error.mfaToken) {
      // Two-step login is on: the provider's sign-in was the first step, a code from the app finishes it.
      state.mfaLogin = { mfa_token: error.mfaToken, keep };
      showGuest();
      selectTab('mfa');
      $('#mfa-form').code.focus();
      return true;
    }
    notify(providerSignInError(error));
    return false;
  }
}

async function start() {
  wire();
  void showProviders();
  const params = new URLSearchParams(location.search);
  if (PROVIDER_ERRORS[params.get('error')]) {
    notify(PROVIDER_ERRORS[params.get('error')]);
    sessionStorage.removeItem(KEEP_AFTER_PROVIDER);
  }
  if (params.has('login_code') && (await finishProviderSignIn(params))) return;
  if (params.get('email_confirmed') === '1') notify('Email address confirmed.');
  if (params.get('error') === 'invalid_token')
    notify(
      'That confirmation link is not valid any more. Log in and choose "Resend the link" for a new one.',
    );
  if (params.get('error') === 'invalid_email')
    notify('That address is used by another account now: it was not confirmed for yours.');
  state.resetToken = params.get('password_reset_token');
  if (state.resetToken) {
    // The mailed reset link: the new-password form, whoever is logged in in this tab.
    hideResetToken();
    saveSession(null); // The reset ends every session of the account anyway.
    showGuest();
    selectTab('reset');
    return;
  }
  const saved = savedSession();
  if (saved) {
    state.session = saved;
    try {
      state.me = { ...(await call('GET', '/me')).user, auth_token: state.session.auth_token };
      await showApp();
      return;
    } catch {
      saveSession(null);
    }
  }
  showGuest();
}

void start();
