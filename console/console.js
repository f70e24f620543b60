'use strict';
// The Dagda Rescue console: one page over the controller's API (docs/api.md). Everything the
// controller names (a machine, a file, a log line, a user) goes into the page as text, through
// el() and textContent, never as HTML: a name holding "<script>" shows those characters and runs
// nothing. Changes carry the session's CSRF token; dates are shown in the viewer's time zone.

const session = { user: null, role: null, csrf: null };

/// A DOM element with attributes and children; strings become text nodes.
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

class LoggedOut extends Error {}

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && session.csrf) headers['X-CSRF-Token'] = session.csrf;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await response.json(); } catch (e) { data = null; }
  if (response.status === 401 && !(method === 'POST' && path === '/api/session')) {
    showLogin(session.user ? 'Your session has ended: log in again.' : '');
    throw new LoggedOut();
  }
  if (!response.ok) throw new Error((data && data.message) || `the controller answered ${response.status}`);
  return data;
}

// Times in the viewer's own time zone and language.
const when = (seconds) => new Date(seconds * 1000).toLocaleString();
const whenIso = (iso) => (iso ? new Date(iso).toLocaleString() : '');
function age(iso) {
  if (!iso) return '';
  const hours = (Date.now() - new Date(iso).getTime()) / 3.6e6;
  return hours < 1 ? `${Math.max(0, Math.round(hours * 60))} min ago` : hours < 48 ? `${Math.round(hours)} h ago` : `${Math.round(hours / 24)} days ago`;
}
function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; ++i) n /= 1024;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

function table(headings, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty);
  return el('table', {}, el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, c))))));
}

/// A section filled by `load`; a failure shows in it, never breaks the page.
function section(title, id, load) {
  const body = el('div', { 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading…'));
  const part = el('section', { id, 'aria-labelledby': `${id}-title` }, el('h2', { id: `${id}-title` }, title), body);
  load().then((content) => body.replaceChildren(content), (error) => {
    if (!(error instanceof LoggedOut)) body.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message));
  }).finally(() => body.removeAttribute('aria-busy'));
  return part;
}

const pages = {
  overview() {
    return [
      el('h1', {}, 'Overview'),
      section('Servers', 'servers', async () => {
        const { servers } = await api('GET', '/api/servers');
        return table(['Server', 'Generations', 'Newest', 'Age'], servers.map((s) => {
          const newest = s.chains.flatMap((c) => c.generations).map((g) => g.created).sort().pop();
          return [el('a', { href: `#/server/${encodeURIComponent(s.name)}` }, s.name), String(s.generations), whenIso(newest), age(newest)];
        }), 'No server has a backup in the archive folder.');
      }),
      section('Machines', 'machines', async () => {
        const { agents } = await api('GET', '/api/agents');
        return table(['Enrolment', 'Agent', 'State', 'Last seen', 'Disks'], agents.map((a) => [
          a.enrolment, a.id,
          el('span', { class: a.connected ? 'state-online' : 'state-offline' }, a.connected ? 'online' : 'offline'),
          when(a.last_seen),
          ((a.inventory && a.inventory.disks) || []).map((d) => `${d.model || d.path || '?'} ${bytes(d.size_bytes || d.size || 0)}`).join(', '),
        ]), 'No agent has connected yet.');
      }),
      section('Hypervisors', 'hypervisors', async () => {
        const { hypervisors } = await api('GET', '/api/hypervisors');
        return table(['Name', 'URI', 'Pool'], hypervisors.map((h) => [h.name, h.uri, h.pool]), 'No hypervisor is configured.');
      }),
      section('Recoveries', 'recoveries', async () => {
        const { recoveries } = await api('GET', '/api/recoveries');
        return table(['Recovery', 'Server', 'New VM', 'State', 'Updated'],
          recoveries.map((r) => [el('a', { href: `#/recovery/${encodeURIComponent(r.id)}` }, r.id), r.server, r.vm && r.vm.name ? r.vm.name : '',
            r.state, when(r.updated)]), 'No recovery yet.');
      }),
    ];
  },

  server(name) {
    const message = el('p', { role: 'status' });
    const parts = [el('h1', {}, `Server ${name}`), message];
    parts.push(section('Generations', 'generations', async () => {
      const server = await api('GET', `/api/servers/${encodeURIComponent(name)}`);
      return el('div', {}, server.chains.map((chain, i) => el('div', {},
        el('h3', {}, `Disk ${i + 1}: ${chain.disk_bytes ? bytes(chain.disk_bytes) : 'a volume backup'}${chain.table ? `, ${chain.table} table` : ''}${chain.host ? `, captured on ${chain.host}` : ''}`),
        chain.broken ? el('p', { class: 'error' }, `Broken chain: ${chain.broken}`) : '',
        table(['Generation', 'Date', 'Kind', 'Size', 'File'], chain.generations.slice().reverse().map((g) => [
          g.number === null ? '—' : String(g.number), whenIso(g.created), g.kind, bytes(g.bytes), g.file]), 'No generation.'))));
    }));
    if (session.role === 'operator') parts.push(recoverForm(name, message));
    return parts;
  },

  recovery(id) {
    const steps = el('ol', { id: 'recovery-steps' });
    const status = el('p', { id: 'recovery-state', role: 'status', 'aria-live': 'polite' }, 'Loading…');
    const log = el('ul', { id: 'recovery-log', class: 'log' });
    const recovered = el('p', { id: 'recovery-time' });
    const finished = {};
    const showSteps = (recovery) => {
      status.textContent = `${recovery.state}${recovery.reason ? `: ${recovery.reason}` : ''}`;
      steps.replaceChildren(...recovery.steps.map((step, i) => {
        const name = typeof step === 'string' ? step : step.step || JSON.stringify(step);
        const done = i < recovery.next_step;
        const running = i === recovery.next_step && recovery.state === 'running';
        const failed = i === recovery.next_step && ['failed', 'cleaning', 'cleaned'].includes(recovery.state);
        const seconds = finished[i];
        return el('li', { class: done ? 'done' : running ? 'running' : failed ? 'failed' : '' },
          el('span', {}, name), ' ',
          el('progress', { max: '1', value: done ? '1' : '0', 'aria-label': `${name} progress` }), ' ',
          el('span', { class: 'muted' }, done ? `done${seconds !== undefined ? ` in ${seconds.toFixed(1)} s` : ''}` : running ? 'running' : failed ? 'failed' : 'to do'));
      }));
    };
    // Server-sent events: each event as it happens, and the recovery whenever it changes. The
    // browser reconnects by itself (a controller restarting) and goes on after the last event.
    const source = new EventSource(`/api/recoveries/${encodeURIComponent(id)}/stream`);
    source.addEventListener('message', (message) => {
      const event = JSON.parse(message.data);
      if (event.event === 'step_finished') finished[event.index] = event.seconds;
      if (event.event === 'recovery_finished') recovered.textContent = `Recovery time achieved: ${event.seconds.toFixed(1)} s`;
      const words = event.message || (event.seconds !== undefined ? `${event.seconds.toFixed(1)} s` : '');
      log.append(el('li', {}, `${when(event.at)}  ${event.event}${event.step ? ` ${event.step}` : ''}${words ? `: ${words}` : ''}`));
    });
    source.addEventListener('recovery', (message) => {
      const recovery = JSON.parse(message.data);
      showSteps(recovery);
      if (['succeeded', 'failed', 'cleaned'].includes(recovery.state)) source.close();
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) status.textContent = 'The controller cannot be reached: asking again…';
      else api('GET', '/api/session').catch(() => {});  // refused outright: a session that ended shows the login
    });
    // Leaving the page ends the stream.
    window.addEventListener('hashchange', () => source.close(), { once: true });
    return [el('h1', {}, `Recovery ${id}`), status, recovered, el('h2', {}, 'Steps'), steps, el('h2', {}, 'Log'), log];
  },

  enrolments() {
    const message = el('p', { role: 'status' });
    const list = () => section('Machines enrolled', 'enrolment-list', async () => {
      const { enrolments } = await api('GET', '/api/enrolments');
      return table(['Name', 'Agent', 'MAC', 'PXE', 'Bound to machine', ''], enrolments.map((e) => [e.name, e.agent_id || '', e.mac || '',
        e.mac ? (e.armed ? 'armed' : 'not armed') : '', e.machine_id || '',
        session.role === 'operator' && e.mac ? el('button', { type: 'button', class: 'secondary', onclick: () => {
          if (!confirm(`Arm ${e.name}? The next PXE boot of ${e.mac} starts its agent.`)) return;
          api('POST', `/api/enrolments/${encodeURIComponent(e.name)}/arm`).then(() => render(), (error) => { message.textContent = error.message; });
        } }, `Arm ${e.name}`) : '']), 'No enrolment.');
    });
    let listed = list();
    const parts = [el('h1', {}, 'Enrolments'), message, listed];
    if (session.role === 'operator') {
      const name = el('input', { id: 'enrol-name', required: '', autocomplete: 'off' });
      const mac = el('input', { id: 'enrol-mac', autocomplete: 'off', placeholder: 'optional: 52:54:00:aa:bb:cc' });
      const token = el('output', { id: 'enrol-token', class: 'token' });
      parts.push(el('h2', {}, 'Enrol a machine'), el('form', { onsubmit: (event) => {
        event.preventDefault();
        const request = { name: name.value };
        if (mac.value) request.mac = mac.value;
        api('POST', '/api/enrolments', request).then((answer) => {
          token.textContent = answer.token;
          message.className = 'ok';
          message.textContent = `${answer.name} enrolled. Its token is shown this once: give it to the machine's agent.`;
          const fresh = list();  // the list again, the token kept on the page
          listed.replaceWith(fresh);
          listed = fresh;
        }, (error) => { message.className = 'error'; message.textContent = error.message; });
      } }, el('label', { for: 'enrol-name' }, 'Name'), name, el('label', { for: 'enrol-mac' }, 'MAC of the card it boots by PXE from'), mac,
      el('button', { type: 'submit' }, 'Enrol'), el('label', { for: 'enrol-token' }, 'Token'), token));
    }
    return parts;
  },

  hypervisors() {
    return [el('h1', {}, 'Hypervisors'), section('Hypervisors', 'hypervisor-list', async () => {
      const { hypervisors } = await api('GET', '/api/hypervisors');
      return table(['Name', 'URI', 'Pool', 'Network'], hypervisors.map((h) => [h.name, h.uri, h.pool, h.network || '']), 'No hypervisor is configured (dagda ctl hypervisor add).');
    })];
  },

  users() {
    const message = el('p', { role: 'status' });
    const done = (text) => { message.className = 'ok'; message.textContent = text; };
    const failed = (error) => { if (!(error instanceof LoggedOut)) { message.className = 'error'; message.textContent = error.message; } };
    const list = section('Users', 'user-list', async () => {
      const { users } = await api('GET', '/api/users');
      return table(['Name', 'Role', 'Since', ''], users.map((u) => [u.name, u.role, when(u.created),
        session.role === 'operator' && u.name !== session.user
          ? el('button', { type: 'button', class: 'secondary', onclick: () => {
            if (!confirm(`Remove the user ${u.name}? Their sessions end at once.`)) return;
            api('DELETE', `/api/users/${encodeURIComponent(u.name)}`).then(() => { done(`${u.name} removed.`); render(); }, failed);
          } }, `Remove ${u.name}`)
          : '']), 'No user.');
    });
    const parts = [el('h1', {}, 'Users'), message, list];
    if (session.role === 'operator') {
      const name = el('input', { id: 'new-user-name', required: '', autocomplete: 'off' });
      const role = el('select', { id: 'new-user-role' }, el('option', { value: 'viewer' }, 'viewer'), el('option', { value: 'operator' }, 'operator'));
      const password = el('input', { id: 'new-user-password', type: 'password', required: '', minlength: '10', autocomplete: 'new-password' });
      parts.push(el('h2', {}, 'Add a user'), el('form', { onsubmit: (event) => {
        event.preventDefault();
        api('POST', '/api/users', { name: name.value, role: role.value, password: password.value })
          .then(() => { done(`${name.value} added.`); render(); }, failed);
      } }, el('label', { for: 'new-user-name' }, 'Name'), name, el('label', { for: 'new-user-role' }, 'Role'), role,
      el('label', { for: 'new-user-password' }, 'Password (10 characters or more)'), password, el('button', { type: 'submit' }, 'Add')));
    }
    const mine = el('input', { id: 'my-password', type: 'password', required: '', minlength: '10', autocomplete: 'new-password' });
    parts.push(el('h2', {}, 'Change my password'), el('form', { onsubmit: (event) => {
      event.preventDefault();
      api('POST', `/api/users/${encodeURIComponent(session.user)}/password`, { password: mine.value })
        .then(() => showLogin('Password changed: log in with the new one.'), failed);
    } }, el('label', { for: 'my-password' }, 'New password'), mine, el('button', { type: 'submit' }, 'Change')));
    return parts;
  },

  audit() {
    return [el('h1', {}, 'Audit log'), section('Who did what', 'audit-log', async () => {
      const entries = [];
      for (let after = 0; ;) {
        const page = await api('GET', `/api/audit?after=${after}`);
        entries.push(...page.entries);
        if (!page.more || page.entries.length === 0) break;
        after = page.entries[page.entries.length - 1].seq;
      }
      return table(['When', 'Who', 'From', 'What', 'Outcome'],
        entries.reverse().map((e) => [when(e.at), e.who, e.address, e.action, e.outcome]), 'Nothing yet.');
    })];
  },
};

/// The form of "Recover to a new VM": the plan is shown first (a dry run), and run only when asked once more.
function recoverForm(server, message) {
  const generation = el('input', { id: 'recover-generation', type: 'number', min: '1', placeholder: 'newest' });
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
    if (generation.value) body.generation = Number(generation.value);
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
    } }, el('label', { for: 'recover-generation' }, 'Generation'), generation, el('label', { for: 'recover-hypervisor' }, 'Hypervisor'), hypervisor,
    el('label', { for: 'recover-name' }, 'New VM\'s name'), name, el('label', { for: 'recover-cpus' }, 'CPUs'), cpus,
    el('label', { for: 'recover-memory' }, 'Memory (MiB)'), memory,
    el('label', { for: 'recover-direct' }, direct, ' direct (the controller writes the volumes; no helper VM)'),
    el('button', { type: 'submit' }, 'Show the plan')), plan, run);
}

function show(id) {
  for (const part of ['login', 'page']) document.getElementById(part).hidden = part !== id;
  const inside = id === 'page';
  document.getElementById('nav').hidden = !inside;
  document.getElementById('logout').hidden = !inside;
  document.getElementById('who').textContent = inside ? `${session.user} (${session.role})` : '';
}

function showLogin(why) {
  Object.assign(session, { user: null, role: null, csrf: null });
  document.getElementById('login-error').textContent = why || '';
  show('login');
  document.getElementById('login-name').focus();
}

function render() {
  const [name, ...rest] = (location.hash.replace(/^#\//, '') || 'overview').split('/');
  const page = pages[name] || pages.overview;
  document.getElementById('page').replaceChildren(...page(...rest.map(decodeURIComponent)));
  show('page');
  document.title = `${name[0].toUpperCase()}${name.slice(1)} · Dagda Rescue`;
}

async function start() {
  document.getElementById('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const name = document.getElementById('login-name').value;
    const password = document.getElementById('login-password');
    try {
      Object.assign(session, await api('POST', '/api/session', { name, password: password.value }));
      password.value = '';
      render();
      document.getElementById('main').focus();
    } catch (error) {
      document.getElementById('login-error').textContent = error.message;
    }
  });
  document.getElementById('logout').addEventListener('click', () => {
    api('DELETE', '/api/session').finally(() => showLogin('Logged out.'));
  });
  window.addEventListener('hashchange', () => { if (session.user) render(); });
  try {
    // A page reloaded inside a session goes on with it (its CSRF token is asked again).
    Object.assign(session, await api('GET', '/api/session'));
    render();
  } catch (error) {
    if (!(error instanceof LoggedOut)) showLogin(error.message);
  }
}

start();
