// Signing a page in, shared by the pages at /, /uppy.html and /admin/…: the token saved in this tab, a dev
// token under `stowage dev`, or a token handed over in a link (`?token=…`).
//
// A link must not sign the browser into another account behind the user's back (login CSRF: the
// victim's next uploads would land in the sender's account). So the token is first taken out of the
// address bar (it must not stay in the history, a bookmark or a Referer), the API is asked whose it is
// (GET /v1/me: the server verifies it; nothing in the token is trusted here), and the page asks the user
// before it replaces the account in use. Declining keeps the current account; a link token of the
// account already in use is simply taken (it may be a fresher token of the same user).
//
// Tokens are kept in sessionStorage: one tab's, gone when the tab closes, kept across reloads.

/**
 * Removes `token` from the address (history.replaceState, so neither the history nor a reload keeps it).
 * @returns {string|null} the token the address carried, or null
 */
export function tokenFromAddress() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  return token.trim() || null;
}

/**
 * Whose token this is, as the API says.
 * @param {string} token a bearer token
 * @returns {Promise<{userId: string, plan: string, roles: string[]}|null>} null when the API refuses it
 */
export async function whoAmI(token) {
  const res = await fetch('/v1/me', { headers: { Authorization: `Bearer ${token}` } });
  return res.ok ? res.json() : null;
}

/**
 * The token saved under `key` in this tab; a token an older version of the page left in localStorage
 * moves to sessionStorage.
 * @param {string} key storage key
 * @returns {string|null}
 */
export function savedToken(key) {
  const old = localStorage.getItem(key);
  if (old !== null) {
    localStorage.removeItem(key);
    if (sessionStorage.getItem(key) === null) sessionStorage.setItem(key, old);
  }
  return sessionStorage.getItem(key);
}

/**
 * Decides which account the page uses when the address carried a token.
 *
 * @param {string} linkToken the token from the address
 * @param {{token: string, me: {userId: string, plan: string}}|null} current the account in use, if any
 * @param {HTMLElement} into where the question is shown (as its first child)
 * @returns {Promise<{session: {token: string, me: object}|null, outcome: 'refused'|'same'|'switched'|'kept'}>}
 *   the account to use — the link's when the user confirmed or it is the same user, else `current` —
 *   and how it was chosen (`refused`: the API did not accept the link's token)
 */
export async function chooseAccount(linkToken, current, into) {
  const linked = await whoAmI(linkToken);
  if (!linked) return { session: current, outcome: 'refused' };
  if (current && current.me.userId === linked.userId) return { session: { token: linkToken, me: linked }, outcome: 'same' };
  if (await askToSwitch(linked, current?.me ?? null, into)) return { session: { token: linkToken, me: linked }, outcome: 'switched' };
  return { session: current, outcome: 'kept' };
}

/** Shows the question and resolves true when the user chooses the link's account. */
function askToSwitch(linked, currentMe, into) {
  const box = document.createElement('section');
  box.id = 'token-switch';
  box.className = 'notice token-switch';
  box.setAttribute('role', 'alertdialog');
  box.setAttribute('aria-labelledby', 'token-switch-title');
  box.setAttribute('aria-describedby', 'token-switch-text');
  const title = document.createElement('h2');
  title.id = 'token-switch-title';
  title.textContent = 'Switch account?';
  const text = document.createElement('p');
  text.id = 'token-switch-text';
  const strong = (s, attr) => {
    const b = document.createElement('strong');
    b.textContent = s;
    b.dataset[attr] = s;
    return b;
  };
  text.append('The link you opened signs in as ', strong(linked.userId, 'linkUser'), ` (${linked.plan} plan). `);
  if (currentMe) text.append('This page is signed in as ', strong(currentMe.userId, 'currentUser'), '. ');
  else text.append('This page is not signed in. ');
  text.append('Uploads go to the account you choose; only switch if you expected this link.');
  const accept = document.createElement('button');
  accept.type = 'button';
  accept.id = 'token-switch-accept';
  accept.textContent = `Sign in as ${linked.userId}`;
  const keep = document.createElement('button');
  keep.type = 'button';
  keep.id = 'token-switch-keep';
  keep.className = 'secondary';
  keep.textContent = currentMe ? `Keep ${currentMe.userId}` : 'Do not sign in';
  const row = document.createElement('div');
  row.className = 'row';
  row.append(accept, keep);
  box.append(title, text, row);
  into.prepend(box);
  keep.focus();
  return new Promise((resolve) => {
    const done = (answer) => {
      box.remove();
      resolve(answer);
    };
    accept.addEventListener('click', () => done(true), { once: true });
    keep.addEventListener('click', () => done(false), { once: true });
  });
}

/**
 * The account in use before any link: the token saved under `key` in this tab, else (under `stowage dev`
 * only: elsewhere the route does not exist) a dev token, else null.
 *
 * @param {string} key storage key of the page's token
 * @param {object} devRequest the body of POST /v1/dev/tokens, e.g. {} (the dev user) or
 *   {userId: 'dev-admin', roles: ['admin']}
 * @param {(text: string) => void} onRefused told when the saved token was refused (it is then forgotten)
 * @returns {Promise<{token: string, me: object, how: 'saved token'|'dev token'}|null>}
 */
export async function currentSession(key, devRequest = {}, onRefused = () => {}) {
  const saved = savedToken(key);
  if (saved) {
    const me = await whoAmI(saved);
    if (me) return { token: saved, me, how: 'saved token' };
    sessionStorage.removeItem(key);
    onRefused('The saved token was refused; sign in again.');
  }
  const res = await fetch('/v1/dev/tokens', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(devRequest) });
  if (res.status !== 201) return null;
  const dev = (await res.json()).token;
  const me = await whoAmI(dev);
  return me ? { token: dev, me, how: 'dev token' } : null;
}

/**
 * Signs a page in: with a link's token when the address carried one (asking before it switches accounts,
 * see chooseAccount; a token taken is saved under `key`), else with {@link currentSession}.
 *
 * @param {string} key storage key of the page's token
 * @param {{devRequest?: object, into: HTMLElement, onRefused?: (text: string) => void}} options
 * @returns {Promise<{session: {token: string, me: object, how: string}|null,
 *   outcome: 'none'|'refused'|'same'|'switched'|'kept'}>} `none`: the address carried no token
 */
export async function signIn(key, { devRequest = {}, into, onRefused = () => {} }) {
  const fromAddress = tokenFromAddress();
  const current = await currentSession(key, devRequest, onRefused);
  if (!fromAddress) return { session: current, outcome: 'none' };
  const { session, outcome } = await chooseAccount(fromAddress, current, into);
  if (outcome === 'same' || outcome === 'switched') {
    sessionStorage.setItem(key, session.token);
    return { session: { ...session, how: 'saved token' }, outcome };
  }
  return { session, outcome };
}
