// The jobs page: GET /v1/admin/jobs lists failing and due executions of db-scheduler's queue (task, instance,
// failures in a row, last failure, next run) with the counts per state; Retry makes one due now
// (POST /v1/admin/jobs/{task}/{instance}/retry).

import { $, api, el, fail, say, signIn, when } from '/admin/console.js';

function row(j) {
  const tr = el('tr');
  tr.dataset.task = j.task;
  tr.dataset.instance = j.instance;
  tr.dataset.state = j.state;
  tr.dataset.executionTime = j.executionTime;
  const action = el('td');
  if (j.state !== 'running') {
    const b = el('button', 'Retry now', 'secondary');
    b.type = 'button';
    b.setAttribute('aria-label', `Retry ${j.task} ${j.instance} now`);
    b.addEventListener('click', async () => {
      b.disabled = true;
      try {
        const r = await api('POST', `/v1/admin/jobs/${encodeURIComponent(j.task)}/${encodeURIComponent(j.instance)}/retry`);
        const fresh = row(r);
        fresh.dataset.retried = 'true';
        tr.replaceWith(fresh);
        say(`${j.task} ${j.instance} is due now (${when(r.executionTime)}).`);
      } catch (e) {
        say(`${j.task} ${j.instance}: ${e.message}`);
        b.disabled = false;
      }
    });
    action.append(b);
  }
  tr.append(el('td', j.task), el('td', j.instance, 'id'), el('td', j.state, j.state === 'failing' ? 'bad-text' : ''),
    el('td', String(j.consecutiveFailures), 'num'), el('td', when(j.lastFailure)), el('td', when(j.executionTime)), action);
  return tr;
}

async function load() {
  try {
    const r = await api('GET', '/v1/admin/jobs?state=failing,due,running&limit=200');
    for (const k of ['failing', 'due', 'running', 'scheduled']) $(`count-${k}`).textContent = r.counts[k].toLocaleString('en-US');
    $('job-rows').replaceChildren(...r.jobs.map(row));
    $('empty').hidden = r.jobs.length > 0;
    $('content').hidden = false;
    document.body.dataset.ready = 'true';
  } catch (e) {
    fail(e.message);
  }
}

async function main() {
  if (!(await signIn())) return;
  $('reload').addEventListener('click', load);
  await load();
}

main();
