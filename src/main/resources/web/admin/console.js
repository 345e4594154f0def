// What the operator console's pages share (/admin/costs, /admin/accounts, /admin/quarantine, /admin/jobs):
// the admin token (the one saved in this tab, else — under `stowage dev` only — a dev admin token; a
// `?token=…` link is used only after the user confirms its account, see /token-link.js), calls of the API
// with it, and small formatters. Every page is a module: no inline script or style (strict CSP).

import { signIn as signInWith } from '/token-link.js';

const TOKEN_KEY = 'stowage.adminToken';
export const $ = (id) => document.getElementById(id);
let token = null;

/** Bytes for people: 1023 B, 1.5 KiB, 32.4 MiB … */
export function bytes(b) {
  if (b == null) return '—';
  if (Math.abs(b) < 1024) return `${b} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = b, i = -1;
  do { v /= 1024; i++; } while (Math.abs(v) >= 1024 && i < units.length - 1);
  return `${v.toFixed(1)} ${units[i]}`;
}

/** A time for people, in the browser's zone; '—' for none. */
export const when = (t) => (t ? new Date(t).toLocaleString() : '—');

/** How long ago `t` was, roughly: "40 s ago", "3 min ago", "2 h ago", "5 days ago". */
export function ago(t) {
  const s = Math.max(0, Math.round((Date.now() - new Date(t).getTime()) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
}

/** An element with text and class. */
export function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

/** Shows an error in the page's #error and marks the page done (`data-ready="error"`). */
export function fail(text) {
  $('error').textContent = text;
  $('error').hidden = false;
  document.body.dataset.ready = 'error';
}

/** Says something in the page's #status (a polite live region). */
export function say(text) {
  const s = $('status');
  if (s) s.textContent = text;
}

/** An API error: its problem code and detail. */
export class ApiError extends Error {
  constructor(status, body) {
    super(`${body.title ?? status}: ${body.detail ?? ''} (${body.code ?? ''})`);
    this.status = status;
    this.code = body.code;
  }
}

/** Calls the API with the admin token; a JSON body when given. Throws ApiError with the problem's code. */
export async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(r.status, json);
  return json;
}

async function findToken() {
  const { session, outcome } = await signInWith(TOKEN_KEY, { devRequest: { userId: 'dev-admin', roles: ['admin'] },
    into: document.querySelector('main') });
  if (outcome === 'refused') {
    $('error').textContent = 'The token in the link was refused; the account in use did not change.';
    $('error').hidden = false;
  }
  return session?.token ?? null;
}

/**
 * Signs the page in: resolves with the caller (GET /v1/me) once a token is in use, or null when there is
 * none (the token form is shown) or it is refused (the error is shown).
 */
export async function signIn() {
  token = await findToken();
  if (!token) {
    $('who').textContent = 'Not signed in';
    $('token-form').hidden = false;
    $('token-form').addEventListener('submit', (e) => {
      e.preventDefault();
      sessionStorage.setItem(TOKEN_KEY, $('token-input').value.trim());
      location.reload();
    });
    document.body.dataset.ready = 'signed-out';
    return null;
  }
  try {
    const me = await api('GET', '/v1/me');
    $('who').textContent = `Signed in as ${me.userId}`;
    return me;
  } catch (e) {
    fail(e.message);
    return null;
  }
}
