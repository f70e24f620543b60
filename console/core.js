// The console's core (docs/api.md, "Console"): the session, the API's calls, and the few helpers
// every page builds with. Everything the controller names (a machine, a file, a log line, a user)
// goes into the page as text, through el() and textContent, never as HTML: a name holding
// "<script>" shows those characters and runs nothing. Changes carry the session's CSRF token;
// dates are shown in the viewer's time zone.

/// What the main module plugs in: render() draws the page the address names.
export const hooks = { render: () => {} };
export const rerender = () => hooks.render();

export const session = { user: null, role: null, csrf: null };

/// A DOM element with attributes and children; strings become text nodes.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

export class LoggedOut extends Error {}

export async function api(method, path, body) {
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
export const when = (seconds) => new Date(seconds * 1000).toLocaleString();
export const whenIso = (iso) => (iso ? new Date(iso).toLocaleString() : '');
export function age(iso) {
  if (!iso) return '';
  const hours = (Date.now() - new Date(iso).getTime()) / 3.6e6;
  return hours < 1 ? `${Math.max(0, Math.round(hours * 60))} min ago` : hours < 48 ? `${Math.round(hours)} h ago` : `${Math.round(hours / 24)} days ago`;
}
export function bytes(n) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; ++i) n /= 1024;
  return `${n.toFixed(i ? 1 : 0)} ${units[i]}`;
}

/// A step's amount: bytes for the image steps, a count (of partitions, files…) for the others.
export const amount = (event, n) => ((event.name || '').startsWith('image.') ? bytes(n) : Number.isInteger(n) ? String(n) : n.toFixed(1));

/// "12.0 MiB of 40.0 MiB, 85.3 MiB/s, 0:00:03 left" for a step_progress event (a job's or a recovery's).
export function progressText(event) {
  const rate = event.rate > 0 ? `, ${amount(event, event.rate)}/s` : '';
  const left = event.rate > 0 && event.total > event.done ? Math.round((event.total - event.done) / event.rate) : null;
  const eta = left === null ? '' : `, ${Math.floor(left / 3600)}:${String(Math.floor(left / 60) % 60).padStart(2, '0')}:${String(left % 60).padStart(2, '0')} left`;
  return `${amount(event, event.done)} of ${amount(event, event.total)}${rate}${eta}`;
}

export function table(headings, rows, empty) {
  if (rows.length === 0) return el('p', { class: 'muted' }, empty);
  return el('table', {}, el('thead', {}, el('tr', {}, headings.map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c) => el('td', {}, c))))));
}

/// A section filled by `load`; a failure shows in it, never breaks the page.
export function section(title, id, load) {
  const body = el('div', { 'aria-busy': 'true' }, el('p', { class: 'muted' }, 'Loading…'));
  const part = el('section', { id, 'aria-labelledby': `${id}-title` }, el('h2', { id: `${id}-title` }, title), body);
  load().then((content) => body.replaceChildren(content), (error) => {
    if (!(error instanceof LoggedOut)) body.replaceChildren(el('p', { class: 'error', role: 'alert' }, error.message));
  }).finally(() => body.removeAttribute('aria-busy'));
  return part;
}

export function show(id) {
  for (const part of ['login', 'page']) document.getElementById(part).hidden = part !== id;
  const inside = id === 'page';
  document.getElementById('nav').hidden = !inside;
  document.getElementById('logout').hidden = !inside;
  document.getElementById('who').textContent = inside ? `${session.user} (${session.role})` : '';
}

export function showLogin(why) {
  Object.assign(session, { user: null, role: null, csrf: null });
  document.getElementById('login-error').textContent = why || '';
  show('login');
  document.getElementById('login-name').focus();
}

/// A message line a form reports in: ok() and failed() set it (a logged-out failure shows the login instead).
export function messageLine(id) {
  const line = el('p', { role: 'status', id });
  line.ok = (text) => { line.className = 'ok'; line.textContent = text; };
  line.failed = (error) => { if (!(error instanceof LoggedOut)) { line.className = 'error'; line.textContent = error.message; } };
  return line;
}
