// The console's pages that follow what runs: the overview, and a recovery step by step through
// its server-sent events (GET /api/recoveries/ID/stream).

import { session, el, api, LoggedOut, when, whenIso, age, bytes, table, section, show, showLogin, messageLine, rerender, progressText } from './core.js';

export const livePages = {
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
      section('Jobs', 'jobs', async () => {
        const { jobs } = await api('GET', '/api/jobs');
        return table(['Job', 'Agent', 'State', 'Updated'], jobs.slice(0, 20).map((j) => [
          el('a', { href: `#/job/${encodeURIComponent(j.id)}` }, j.id), j.agent, j.state, when(j.updated)]), 'No job yet.');
      }),
      section('Recoveries', 'recoveries', async () => {
        const { recoveries } = await api('GET', '/api/recoveries');
        return table(['Recovery', 'Server', 'New VM', 'State', 'Updated'],
          recoveries.map((r) => [el('a', { href: `#/recovery/${encodeURIComponent(r.id)}` }, r.id), r.server, r.vm && r.vm.name ? r.vm.name : '',
            r.state, when(r.updated)]), 'No recovery yet.');
      }),
    ];
  },

  recovery(id) {
    const steps = el('ol', { id: 'recovery-steps' });
    const status = el('p', { id: 'recovery-state', role: 'status', 'aria-live': 'polite' }, 'Loading…');
    const log = el('ul', { id: 'recovery-log', class: 'log' });
    const recovered = el('p', { id: 'recovery-time' });
    const message = messageLine('recovery-message');
    const cancel = el('button', { id: 'recovery-cancel', type: 'button', class: 'secondary', hidden: '' }, 'Cancel this recovery');
    const cleanup = el('button', { id: 'recovery-cleanup', type: 'button', class: 'secondary', hidden: '' }, 'Remove what it made');
    const ask = (what, question) => {
      if (!confirm(question)) return;
      api('POST', `/api/recoveries/${encodeURIComponent(id)}/${what}`).then(() => { message.ok(`${what === 'cancel' ? 'Cancel' : 'Cleanup'} asked.`); rerender(); },
        message.failed);
    };
    cancel.addEventListener('click', () => ask('cancel', `Cancel ${id}? A running step stops at its next safe point; what was made stays listed for a cleanup.`));
    cleanup.addEventListener('click', () => ask('cleanup', `Remove the VM and volumes ${id} made? Nothing else is touched.`));
    const finished = {};
    const progress = {};  // a step's name → its last step_progress event (done of total, rate)
    let shown = null;  // the recovery last drawn, drawn again as its progress comes
    const showSteps = (recovery) => {
      shown = recovery;
      const operator = session.role === 'operator';
      cancel.hidden = !operator || !['queued', 'running'].includes(recovery.state);
      cleanup.hidden = !operator || recovery.state !== 'failed';
      status.textContent = `${recovery.state}${recovery.reason ? `: ${recovery.reason}` : ''}`;
      steps.replaceChildren(...recovery.steps.map((step, i) => {
        const name = typeof step === 'string' ? step : step.step || JSON.stringify(step);
        const done = i < recovery.next_step;
        const running = i === recovery.next_step && recovery.state === 'running';
        const failed = i === recovery.next_step && ['failed', 'cleaning', 'cleaned'].includes(recovery.state);
        const seconds = finished[i];
        const now = running ? progress[name] : undefined;
        return el('li', { class: done ? 'done' : running ? 'running' : failed ? 'failed' : '' },
          el('span', {}, name), ' ',
          el('progress', { max: String(now ? now.total : 1), value: String(done ? 1 : now ? now.done : 0), 'aria-label': `${name} progress` }), ' ',
          el('span', { class: 'muted' }, done ? `done${seconds !== undefined ? ` in ${seconds.toFixed(1)} s` : ''}`
            : now ? `${now.message}: ${progressText(now)}` : running ? 'running' : failed ? 'failed' : 'to do'));
      }));
    };
    // Server-sent events: each event as it happens, and the recovery whenever it changes. The
    // browser reconnects by itself (a controller restarting) and goes on after the last event.
    const source = new EventSource(`/api/recoveries/${encodeURIComponent(id)}/stream`);
    source.addEventListener('message', (message) => {
      const event = JSON.parse(message.data);
      if (event.event === 'step_progress') {
        // The bar and its words, not a log line each second.
        progress[event.step] = event;
        if (shown) showSteps(shown);
        return;
      }
      if (event.event === 'step_finished') finished[event.index] = event.seconds;
      if (event.event === 'recovery_finished') recovered.textContent = `Recovery time achieved: ${event.seconds.toFixed(1)} s`;
      const words = event.message || (event.seconds !== undefined ? `${event.seconds.toFixed(1)} s` : '');
      log.append(el('li', {}, `${when(event.at)}  ${event.event}${event.step ? ` ${event.step}` : ''}${words ? `: ${words}` : ''}`));
    });
    source.addEventListener('recovery', (message) => {
      const recovery = JSON.parse(message.data);
      showSteps(recovery);
      if (['succeeded', 'failed', 'cleaned', 'cancelled'].includes(recovery.state)) source.close();
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) status.textContent = 'The controller cannot be reached: asking again…';
      else api('GET', '/api/session').catch(() => {});  // refused outright: a session that ended shows the login
    });
    // Leaving the page ends the stream.
    window.addEventListener('hashchange', () => source.close(), { once: true });
    return [el('h1', {}, `Recovery ${id}`), status, recovered, message, el('p', {}, cancel, ' ', cleanup), el('h2', {}, 'Steps'), steps, el('h2', {}, 'Log'), log];
  },
};
