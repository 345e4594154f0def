// The accounts page: GET /v1/admin/accounts (keyset pages in user-id order, optionally by prefix) shows each
// account's plan, quota, used and reserved bytes; a plan is changed with PUT /v1/admin/accounts/{userId}/plan,
// and the row then shows what the API answered.

import { $, api, bytes, el, fail, say, signIn } from '/admin/console.js';

let plans = {};
let next = null;
let prefix = '';

function planForm(a) {
  const form = el('form', undefined, 'inline-form');
  form.dataset.userId = a.userId;
  const id = `plan-${a.userId}`;
  const label = el('label', `Plan of ${a.userId}`, 'visually-hidden');
  label.htmlFor = id;
  const input = el('input');
  input.id = id;
  input.name = 'plan';
  input.value = a.plan;
  input.required = true;
  input.pattern = '[A-Za-z0-9._\\-]{1,64}';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.setAttribute('list', 'plan-names');
  const button = el('button', 'Set plan', 'secondary');
  button.type = 'submit';
  form.append(label, input, button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      const r = await api('PUT', `/v1/admin/accounts/${encodeURIComponent(a.userId)}/plan`, { plan: input.value });
      const updated = { ...a, plan: r.plan, quotaBytes: r.quotaBytes };
      form.closest('tr').replaceWith(row(updated));
      say(`${a.userId} is now on plan ${r.plan} (quota ${bytes(r.quotaBytes)}).`);
    } catch (err) {
      say(`The plan of ${a.userId} did not change: ${err.message}`);
      button.disabled = false;
    }
  });
  return form;
}

function row(a) {
  const tr = el('tr');
  tr.dataset.userId = a.userId;
  tr.dataset.plan = a.plan;
  tr.dataset.quotaBytes = a.quotaBytes;
  tr.dataset.usedBytes = a.usedBytes;
  tr.dataset.reservedBytes = a.reservedBytes;
  const plan = el('td', a.plan);
  plan.className = 'plan';
  const action = el('td');
  action.append(planForm(a));
  tr.append(el('td', a.userId, 'wrap'), plan, el('td', bytes(a.quotaBytes), 'num'), el('td', bytes(a.usedBytes), 'num'),
    el('td', bytes(a.reservedBytes), 'num'), action);
  return tr;
}

async function load(after) {
  const q = new URLSearchParams({ limit: '50' });
  if (after) q.set('after', after);
  if (prefix) q.set('prefix', prefix);
  try {
    const page = await api('GET', `/v1/admin/accounts?${q}`);
    plans = page.plans;
    $('plan-names').replaceChildren(...Object.entries(plans).map(([name, quota]) => {
      const o = el('option', `${name}: ${bytes(quota)}`);
      o.value = name;
      return o;
    }));
    next = page.next;
    const rows = page.accounts.map(row);
    if (after) $('account-rows').append(...rows);
    else $('account-rows').replaceChildren(...rows);
    $('more').hidden = !next;
    $('empty').hidden = $('account-rows').children.length > 0;
    $('content').hidden = false;
    document.body.dataset.ready = 'true';
  } catch (e) {
    fail(e.message);
  }
}

async function main() {
  if (!(await signIn())) return;
  $('more').addEventListener('click', () => load(next));
  $('first').addEventListener('click', () => load(null));
  $('filter').addEventListener('submit', (e) => {
    e.preventDefault();
    prefix = $('prefix').value.trim();
    load(null);
  });
  await load(null);
}

main();
