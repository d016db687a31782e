// Unichat demo client: plain JavaScript, no build step, no dependencies. It speaks only the public
// API under /api/v1 and the live event stream (EventSource). Each tab keeps its own session in
// sessionStorage, so two tabs can be two users.

const API = '/api/v1';
const STORAGE_KEY = 'unichat.demo.session';

const state = {
  session: null, // { access_token, auth_token }
  me: null,
  contacts: new Map(), // id -> contact record (public record + is_friend)
  blocks: new Map(), // id -> public record
  stream: null,
  streamRetry: null,
  streamOpened: false, // a stream was open since sign-in: a later open is a return after a drop
  qr: null, // { source, timer, expiresAt }
  eventCount: 0,
  confirmPoll: null,
  resetToken: null, // from the mailed link: /demo?password_reset_token=…
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
  constructor(status, code, text) {
    super(text);
    this.status = status;
    this.code = code;
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
  throw new ApiError(response.status, error.code, error.text);
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

function saveSession(session) {
  state.session = session;
  if (session) sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
  else sessionStorage.removeItem(STORAGE_KEY);
}

// ---------------------------------------------------------------------------------------------
// Small view helpers

function showError(target, error) {
  const element = typeof target === 'string' ? $(target) : target;
  element.textContent = error
    ? error instanceof ApiError
      ? error.message
      : String(error.message ?? error)
    : '';
}

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
  const tabName = name === 'forgot' || name === 'reset' ? 'login' : name;
  for (const tab of document.querySelectorAll('[data-tab]')) {
    tab.setAttribute('aria-selected', String(tab.dataset.tab === tabName));
  }
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== name;
  if (name === 'qr') startQr();
  else stopQr();
}

async function submitLogin(event) {
  event.preventDefault();
  const form = event.currentTarget;
  showError(errorSlot(form), null);
  try {
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
    await enter(result);
  } catch (error) {
    showError(errorSlot(form), error);
  }
}

async function submitForgot(event) {
  event.preventDefault();
  const form = event.currentTarget;
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
}

async function submitReset(event) {
  event.preventDefault();
  const form = event.currentTarget;
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
}

/** The token leaves the address bar once read, so a shared screen or the history does not show it. */
function hideResetToken() {
  const url = new URL(location.href);
  url.searchParams.delete('password_reset_token');
  history.replaceState(null, '', url.pathname + url.search);
}

async function submitRegister(event) {
  event.preventDefault();
  const form = event.currentTarget;
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
}

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
async function enter(result) {
  saveSession({ access_token: result.access_token, auth_token: result.user.auth_token });
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
  for (const id of ['#contacts-card', '#events-card', '#qr-approve-card'])
    $(id).classList.toggle('disabled', !confirmed);
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

async function submitProfile(event) {
  event.preventDefault();
  const form = event.currentTarget;
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
}

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

async function changeAvatar(event) {
  const file = event.target.files[0];
  event.target.value = '';
  if (!file) return;
  showError('#status-error', null);
  try {
    const dataUrl = await new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(new Error('could not read the file'));
      reader.readAsDataURL(file);
    });
    state.me = { ...state.me, ...(await call('PATCH', '/me', { avatar: dataUrl })).user };
    renderMe();
  } catch (error) {
    showError('#status-error', error);
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
          h('button', { type: 'button', class: 'ghost small', onclick: () => block(user.id) }, 'Block'),
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

async function addContact(event) {
  event.preventDefault();
  const form = event.currentTarget;
  showError('#contacts-error', null);
  try {
    const { user } = await call('POST', '/contacts', { user_id: Number(form.user_id.value) });
    state.contacts.set(user.id, user);
    form.reset();
    renderContacts();
  } catch (error) {
    showError('#contacts-error', error);
  }
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

// Block and unblock update the lists at once (the stream's event for it may arrive before the answer).
async function block(id) {
  showError('#contacts-error', null);
  state.blocks.set(id, state.contacts.get(id) ?? { id, nick: null, avatar: null, is_online: false });
  renderContacts();
  renderBlocks();
  try {
    await call('POST', '/blocks', { user_id: id });
  } catch (error) {
    showError('#contacts-error', error);
  }
  await refreshLists();
}

async function unblock(id) {
  showError('#contacts-error', null);
  state.blocks.delete(id);
  renderContacts();
  renderBlocks();
  try {
    await call('DELETE', `/blocks/${id}`);
  } catch (error) {
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
async function approveQr(event) {
  event.preventDefault();
  const form = event.currentTarget;
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
}

async function logout() {
  closeStream();
  clearInterval(state.confirmPoll);
  state.confirmPoll = null;
  try {
    await call('POST', '/auth/logout', {}, { retry: false });
  } catch {
    // The session may be gone already; this tab forgets it either way.
  }
  saveSession(null);
  state.me = null;
  state.contacts.clear();
  state.blocks.clear();
  state.streamOpened = false;
  $('#events').replaceChildren();
  state.eventCount = 0;
  renderEventCount();
  showGuest();
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
    if (error.status !== 403) scheduleStreamRetry();
    return;
  }
  const source = new EventSource(`${API}/events?code=${encodeURIComponent(code)}`);
  state.stream = source;
  setLive('connecting', 'connecting');
  source.addEventListener('open', () => {
    setLive('on', 'live');
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
  state.streamRetry = setTimeout(() => state.session && state.me && openStream(), 5000);
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
      // Both sides hear of it; my own list of blocks tells which side I am on.
      const other = state.contacts.get(data.user_id) ?? state.blocks.get(data.user_id);
      const who = other ? displayName(other) : `user ${data.user_id}`;
      const mine = name === 'blocked' ? state.blocks.has(data.user_id) : !state.blocks.has(data.user_id);
      summary = mine ? `you ${name} ${who}` : `${who} ${name} you`;
      void refreshLists();
      break;
    }
    case 'resync': {
      summary = 'missed events: reloading';
      void refreshLists();
      break;
    }
  }
  logEvent(name, summary, data);
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

async function start() {
  wire();
  const params = new URLSearchParams(location.search);
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
  const saved = sessionStorage.getItem(STORAGE_KEY);
  if (saved) {
    state.session = JSON.parse(saved);
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
