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
          return [s.name, String(s.generations), whenIso(newest), age(newest)];
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
          recoveries.map((r) => [r.id, r.server, r.vm && r.vm.name ? r.vm.name : '', r.state, when(r.updated)]), 'No recovery yet.');
      }),
    ];
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
  const name = (location.hash.replace(/^#\//, '') || 'overview').split('/')[0];
  const page = pages[name] || pages.overview;
  document.getElementById('page').replaceChildren(...page());
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
