// The Dagda Rescue console: one page over the controller's API (docs/api.md). This module routes
// the address's #/PAGE/ARGUMENTS to a page of the page modules and starts the session.

import { session, api, LoggedOut, show, showLogin, hooks } from './core.js';
import { livePages } from './pages-live.js';
import { serverPages } from './pages-server.js';
import { filePages } from './pages-files.js';
import { adminPages } from './pages-admin.js';
import { jobPages } from './pages-machine.js';

const pages = { ...livePages, ...serverPages, ...filePages, ...adminPages, ...jobPages };

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

hooks.render = render;
start();
