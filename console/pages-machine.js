// Recovering onto a machine, and following a job: "Recover onto a machine" (an agent's disk, known
// by size, model and serial, never by /dev name) shows the plan the agent would be given (a dry
// run of POST /api/jobs), then queues it when asked once more; a job's page follows it by
// server-sent events (GET /api/jobs/ID/stream): each step with its progress (done of total, rate,
// ETA) and duration, the log, and cancel.

import { session, el, api, bytes, messageLine, amount, progressText } from './core.js';

const finished = ['succeeded', 'failed', 'cancelled', 'refused'];

/// How a disk of an agent's inventory is shown: size, model and serial, then where it is.
function diskLabel(disk) {
  const id = disk.serial ? `serial ${disk.serial}` : disk.wwn ? `WWN ${disk.wwn}` : disk.path;
  return `${bytes(disk.size_bytes || 0)} ${disk.model || 'disk'}, ${id}${disk.path && disk.path !== id ? ` (${disk.path})` : ''}`;
}

/// A plan step on one line: its name and what it works on.
function stepLine(step, i) {
  const details = Object.entries(step).filter(([key]) => key !== 'step')
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`).join(' ');
  return `${i + 1}. ${step.step}${details ? `  ${details}` : ''}`;
}

/// The form of "Recover onto a machine", for the server page.
export function machineForm(server, chains) {
  const message = messageLine('machine-message');
  const agent = el('select', { id: 'machine-agent', required: '' });
  const disk = el('select', { id: 'machine-disk', required: '' });
  const generation = el('select', { id: 'machine-generation' }, chains.flatMap((chain, c) => chain.generations.slice().reverse()
    .filter((g) => g.number !== null)
    .map((g) => el('option', { value: JSON.stringify({ archive: `${server}/${chain.newest}`, generation: g.number }) },
      `${chains.length > 1 ? `disk ${c + 1}, ` : ''}generation ${g.number} (${g.kind}, ${g.file})`))));
  const then = el('select', { id: 'machine-then' }, el('option', { value: '' }, 'stay in the live image'),
    el('option', { value: 'reboot' }, 'reboot into the recovered server'), el('option', { value: 'poweroff' }, 'power off'));
  const plan = el('pre', { id: 'machine-plan', class: 'plan' });
  const run = el('button', { id: 'machine-run', type: 'button', hidden: '' }, 'Run this plan on the machine');
  let agents = [];
  const showDisks = () => {
    const chosen = agents.find((a) => a.id === agent.value);
    const disks = (chosen && chosen.inventory && chosen.inventory.disks) || [];
    disk.replaceChildren(...disks.map((d) => el('option', { value: d.serial || d.wwn || d.path }, diskLabel(d))));
  };
  api('GET', '/api/agents').then((answer) => {
    agents = answer.agents;
    agent.replaceChildren(...agents.map((a) => el('option', { value: a.id }, `${a.enrolment} (${a.id}, ${a.connected ? 'online' : 'offline'})`)));
    showDisks();
  }, message.failed);
  agent.addEventListener('change', () => { showDisks(); plan.textContent = ''; run.hidden = true; });
  const request = (dryRun) => {
    const recover = { ...JSON.parse(generation.value), disk: disk.value };
    if (then.value) recover.then = then.value;
    return { agent: agent.value, recover, ...(dryRun ? { dry_run: true } : {}) };
  };
  run.addEventListener('click', () => {
    const target = disk.options[disk.selectedIndex] ? disk.options[disk.selectedIndex].text : disk.value;
    if (!confirm(`Run the plan shown? It erases the disk ${target} of ${agent.value}.`)) return;
    api('POST', '/api/jobs', request(false)).then((answer) => { location.hash = `#/job/${encodeURIComponent(answer.id)}`; }, message.failed);
  });
  return el('section', { 'aria-labelledby': 'machine-title' }, el('h2', { id: 'machine-title' }, 'Recover onto a machine'), message,
    el('form', { id: 'machine-form', onsubmit: (event) => {
      event.preventDefault();
      if (!generation.value || !agent.value) {
        message.failed(new Error(!agent.value ? 'No machine has enrolled yet.' : 'This server has no whole generation to recover.'));
        return;
      }
      api('POST', '/api/jobs', request(true)).then((answer) => {
        plan.textContent = answer.plan.steps.map(stepLine).join('\n');
        run.hidden = false;
      }, message.failed);
    } }, el('label', { for: 'machine-agent' }, 'Machine (its agent)'), agent, el('label', { for: 'machine-disk' }, 'Disk to write'), disk,
    el('label', { for: 'machine-generation' }, 'Generation'), generation, el('label', { for: 'machine-then' }, 'Then'), then,
    el('button', { type: 'submit' }, 'Show the plan')), plan, run);
}

export const jobPages = {
  job(id) {
    const status = el('p', { id: 'job-state', role: 'status', 'aria-live': 'polite' }, 'Loading…');
    const steps = el('ol', { id: 'job-steps' });
    const log = el('ul', { id: 'job-log', class: 'log' });
    const message = messageLine('job-message');
    const cancel = el('button', { id: 'job-cancel', type: 'button', class: 'secondary', hidden: '' }, 'Cancel this job');
    const state = { plan: [], step: {}, job: null };  // step: 1-based index → {progress, seconds, failed, started}
    const draw = () => {
      const job = state.job;
      if (!job) return;
      status.textContent = `${job.state} on ${job.agent}${job.reason ? `: ${job.reason}` : ''}`;
      cancel.hidden = session.role !== 'operator' || finished.includes(job.state);
      steps.replaceChildren(...state.plan.map((step, i) => {
        const s = state.step[i + 1] || {};
        const done = s.seconds !== undefined && !s.failed;
        const total = s.progress ? s.progress.total : 1;
        const value = done ? total : s.progress ? s.progress.done : 0;
        const words = s.failed ? `failed: ${s.failed}` : done ? `done in ${s.seconds.toFixed(1)} s${s.progress ? ` (${amount(s.progress, s.progress.total)})` : ''}`
          : s.progress ? progressText(s.progress) : s.started ? 'running' : 'to do';
        return el('li', { class: s.failed ? 'failed' : done ? 'done' : s.started ? 'running' : '' }, el('span', {}, step.step || '?'), ' ',
          el('progress', { max: String(total || 1), value: String(value), 'aria-label': `${step.step} progress` }), ' ',
          el('span', { class: 'muted' }, words));
      }));
    };
    cancel.addEventListener('click', () => {
      if (!confirm(`Cancel ${id}? The agent stops at the next safe point; a restore left halfway must be run again.`)) return;
      api('POST', `/api/jobs/${encodeURIComponent(id)}/cancel`).then(() => message.ok('Cancel asked.'), message.failed);
    });
    const source = new EventSource(`/api/jobs/${encodeURIComponent(id)}/stream`);
    source.addEventListener('message', (message) => {
      const { event } = JSON.parse(message.data);
      const s = (state.step[event.step] = state.step[event.step] || {});
      if (event.event === 'step_started') s.started = true;
      if (event.event === 'step_progress') Object.assign(s, { started: true, progress: event });
      if (event.event === 'step_finished') s.seconds = event.seconds;
      if (event.event === 'step_failed') Object.assign(s, { seconds: event.seconds, failed: event.text || 'failed' });
      if (event.event !== 'step_progress') {
        const words = event.text || (event.seconds !== undefined ? `${event.seconds.toFixed(1)} s` : event.outcome || '');
        log.append(el('li', {}, `${event.event}${event.name ? ` ${event.name}` : ''}${words ? `: ${words}` : ''}`));
      }
      draw();
    });
    source.addEventListener('job', (message) => {
      state.job = JSON.parse(message.data);
      state.plan = (state.job.plan && state.job.plan.steps) || [];
      draw();
      if (finished.includes(state.job.state)) source.close();
    });
    source.addEventListener('error', () => {
      if (source.readyState !== EventSource.CLOSED) status.textContent = 'The controller cannot be reached: asking again…';
      else api('GET', '/api/session').catch(() => {});
    });
    window.addEventListener('hashchange', () => source.close(), { once: true });
    return [el('h1', {}, `Job ${id}`), status, message, cancel, el('h2', {}, 'Steps'), steps, el('h2', {}, 'Log'), log];
  },
};
