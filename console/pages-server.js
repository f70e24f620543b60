// The console's server page: its generations and volumes, and the buttons that recover it (each
// shows its plan as a dry run, then runs it when asked once more).

import { session, el, api, LoggedOut, when, whenIso, age, bytes, table, section, show, showLogin, messageLine, rerender } from './core.js';
import { filesHash } from './pages-files.js';
import { machineForm } from './pages-machine.js';

export const serverPages = {
  server(name) {
    const message = el('p', { role: 'status' });
    const parts = [el('h1', {}, `Server ${name}`), message];
    const loaded = api('GET', `/api/servers/${encodeURIComponent(name)}`);
    parts.push(section('Generations', 'generations', async () => {
      const server = await loaded;
      return el('div', {}, server.chains.map((chain, i) => el('div', {},
        el('h3', {}, `Disk ${i + 1}: ${chain.disk_bytes ? bytes(chain.disk_bytes) : 'a volume backup'}${chain.table ? `, ${chain.table} table` : ''}${chain.host ? `, captured on ${chain.host}` : ''}`),
        chain.broken ? el('p', { class: 'error' }, `Broken chain: ${chain.broken}`) : '',
        el('p', { class: 'muted' }, `Volumes: ${(chain.volumes || []).map((v) => `${v.number} ${v.filesystem || 'unknown'} ${bytes(v.bytes)} (${bytes(v.used_bytes)} used)`).join('; ') || 'none known'}`),
        table(['Generation', 'Date', 'Kind', 'Size', 'File', ''], chain.generations.slice().reverse().map((g) => [
          g.number === null ? '—' : String(g.number), whenIso(g.created), g.kind, bytes(g.bytes), g.file,
          session.role === 'operator' ? el('a', { href: filesHash(name, g.file, '-', '/'), 'aria-label': `files of ${g.file}` }, 'Browse files') : '']),
        'No generation.'))));
    }));
    if (session.role === 'operator') {
      parts.push(recoverForm(name, message));
      const machine = el('div', {});
      loaded.then((server) => machine.replaceChildren(machineForm(name, server.chains)), () => {});
      parts.push(machine);
    }
    return parts;
  },
};

/// The form of "Recover to a new VM": the plan is shown first (a dry run), and run only when asked once more.
function recoverForm(server, message) {
  const source = el('select', { id: 'recover-source' }, el('option', { value: '' }, 'a backup generation'),
    el('option', { value: 'in_place' }, 'push button: the replica itself (in place)'),
    el('option', { value: 'copy' }, 'push button: a copy of the replica (replication goes on)'),
    el('option', { value: 'backup' }, 'push button: back the replica up, then recover (replication goes on)'));
  const generation = el('input', { id: 'recover-generation', type: 'number', min: '1', placeholder: 'newest' });
  source.addEventListener('change', () => { generation.disabled = source.value !== ''; });
  const hypervisor = el('select', { id: 'recover-hypervisor', required: '' });
  const name = el('input', { id: 'recover-name', required: '', autocomplete: 'off', value: `${server}-recovered` });
  const cpus = el('input', { id: 'recover-cpus', type: 'number', min: '1', value: '2' });
  const memory = el('input', { id: 'recover-memory', type: 'number', min: '256', value: '4096' });
  const direct = el('input', { id: 'recover-direct', type: 'checkbox' });
  const plan = el('pre', { id: 'recover-plan', class: 'plan' });
  const run = el('button', { id: 'recover-run', type: 'button', hidden: '' }, 'Run this plan');
  api('GET', '/api/hypervisors').then(({ hypervisors }) => hypervisor.replaceChildren(...hypervisors.map((h) => el('option', { value: h.name }, h.name))),
    () => {});
  const request = () => {
    const vm = { hypervisor: hypervisor.value, name: name.value, cpus: Number(cpus.value), memory_mib: Number(memory.value) };
    if (direct.checked) vm.direct = true;
    const body = { server, to: { vm } };
    if (source.value) body.from = { replica: { use: source.value } };
    else if (generation.value) body.generation = Number(generation.value);
    return body;
  };
  const failed = (error) => { if (!(error instanceof LoggedOut)) { message.className = 'error'; message.textContent = error.message; } };
  run.addEventListener('click', () => {
    if (!confirm(`Run the plan shown: recover ${server} to the new VM ${name.value}?`)) return;
    api('POST', '/api/recoveries', request()).then((answer) => { location.hash = `#/recovery/${encodeURIComponent(answer.id)}`; }, failed);
  });
  return el('section', { 'aria-labelledby': 'recover-title' }, el('h2', { id: 'recover-title' }, 'Recover to a new VM'),
    el('form', { onsubmit: (event) => {
      event.preventDefault();
      api('POST', '/api/recoveries', { ...request(), dry_run: true }).then((answer) => {
        plan.textContent = answer.plan.join('\n');
        run.hidden = false;
      }, failed);
    } }, el('label', { for: 'recover-source' }, 'From'), source, el('label', { for: 'recover-generation' }, 'Generation'), generation, el('label', { for: 'recover-hypervisor' }, 'Hypervisor'), hypervisor,
    el('label', { for: 'recover-name' }, 'New VM\'s name'), name, el('label', { for: 'recover-cpus' }, 'CPUs'), cpus,
    el('label', { for: 'recover-memory' }, 'Memory (MiB)'), memory,
    el('label', { for: 'recover-direct' }, direct, ' direct (the controller writes the volumes; no helper VM)'),
    el('button', { type: 'submit' }, 'Show the plan')), plan, run);
}
