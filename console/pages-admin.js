// The console's pages of people and places: enrolments (a token shown once, PXE armed),
// hypervisors, users (an operator adds and removes; everyone changes their own password), and
// the audit log.

import { session, el, api, LoggedOut, when, whenIso, age, bytes, table, section, show, showLogin, messageLine, rerender } from './core.js';

export const adminPages = {
  enrolments() {
    const message = el('p', { role: 'status' });
    const list = () => section('Machines enrolled', 'enrolment-list', async () => {
      const { enrolments } = await api('GET', '/api/enrolments');
      return table(['Name', 'Agent', 'MAC', 'PXE', 'Bound to machine', ''], enrolments.map((e) => [e.name, e.agent_id || '', e.mac || '',
        e.mac ? (e.armed ? 'armed' : 'not armed') : '', e.machine_id || '',
        session.role === 'operator' && e.mac ? el('button', { type: 'button', class: 'secondary', onclick: () => {
          if (!confirm(`Arm ${e.name}? The next PXE boot of ${e.mac} starts its agent.`)) return;
          api('POST', `/api/enrolments/${encodeURIComponent(e.name)}/arm`).then(() => rerender(), (error) => { message.textContent = error.message; });
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
            api('DELETE', `/api/users/${encodeURIComponent(u.name)}`).then(() => { done(`${u.name} removed.`); rerender(); }, failed);
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
          .then(() => { done(`${name.value} added.`); rerender(); }, failed);
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
