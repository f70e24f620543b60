// The console's files page: the folders of any generation's volume, read straight from the
// archive (GET /api/servers/S/generations/F/files), with a file downloaded as it is and a folder
// as a zip or tar streamed by the controller (…/download). Names are shown as text, whatever
// they hold. The address holds where one is: #/files/SERVER/FILE/VOLUME/PATH, each part
// %-encoded ("-" for the generation's one NTFS volume).

import { session, el, api, whenIso, bytes, table, section, messageLine } from './core.js';

const filesHash = (server, file, volume, path) =>
  `#/files/${[server, file, volume, path].map((part) => encodeURIComponent(part)).join('/')}`;

/// ?path=…[&volume=N][&as=…], %-encoded (never '+' for a space: the controller reads %20 only).
function query(path, volume, as) {
  let out = `?path=${encodeURIComponent(path)}`;
  if (volume !== '-') out += `&volume=${encodeURIComponent(volume)}`;
  if (as) out += `&as=${encodeURIComponent(as)}`;
  return out;
}

const generationUrl = (server, file, what) => `/api/servers/${encodeURIComponent(server)}/generations/${encodeURIComponent(file)}/${what}`;
const downloadUrl = (server, file, volume, path, as) => generationUrl(server, file, 'download') + query(path, volume, as);

/// Root, then each folder of `path`, each a link to itself.
function breadcrumbs(server, file, volume, path) {
  const parts = path.split('/').filter((part) => part !== '');
  const links = [el('a', { href: filesHash(server, file, volume, '/') }, 'volume')];
  parts.forEach((part, i) => links.push(' / ', el('a', { href: filesHash(server, file, volume, `/${parts.slice(0, i + 1).join('/')}`) }, part)));
  return el('nav', { 'aria-label': 'Folder', class: 'crumbs', id: 'files-crumbs' }, links);
}

/// Choosing another generation or volume of the server keeps the folder one is in.
function chooser(server, file, volume, path, chains) {
  const generation = el('select', { id: 'files-generation' },
    chains.flatMap((chain, i) => chain.generations.slice().reverse().map((g) => el('option', { value: g.file, ...(g.file === file ? { selected: '' } : {}) },
      `${chains.length > 1 ? `disk ${i + 1}, ` : ''}generation ${g.number ?? '?'}: ${whenIso(g.created)} (${g.kind}, ${g.file})`))));
  const chain = chains.find((c) => c.generations.some((g) => g.file === file)) || { volumes: [] };
  const volumes = el('select', { id: 'files-volume' }, el('option', { value: '-' }, 'its NTFS volume'),
    chain.volumes.map((v) => el('option', { value: String(v.number), ...(String(v.number) === volume ? { selected: '' } : {}) },
      `volume ${v.number}: ${v.filesystem || 'unknown'}, ${bytes(v.bytes)}`)));
  const go = () => { location.hash = filesHash(server, generation.value, volumes.value, path); };
  generation.addEventListener('change', go);
  volumes.addEventListener('change', go);
  return el('div', { class: 'chooser' }, el('label', { for: 'files-generation' }, 'Generation'), generation,
    el('label', { for: 'files-volume' }, 'Volume'), volumes);
}

export const filePages = {
  files(server, file, volume = '-', path = '/') {
    const message = messageLine('files-message');
    const parts = [el('h1', {}, `Files of ${server}`), message];
    if (session.role !== 'operator') {
      parts.push(el('p', { class: 'muted' }, 'A server\'s files are for operators to read.'));
      return parts;
    }
    const top = el('div', {});
    api('GET', `/api/servers/${encodeURIComponent(server)}`).then((s) => top.replaceChildren(chooser(server, file, volume, path, s.chains)), message.failed);
    parts.push(top, breadcrumbs(server, file, volume, path));
    parts.push(section(`In ${path}`, 'files', async () => {
      const listing = await api('GET', generationUrl(server, file, 'files') + query(path, volume));
      const inside = (name) => `${path.replace(/\/+$/, '')}/${name}`;
      const rows = listing.entries.map((e) => [
        el('input', { type: 'checkbox', class: 'pick', value: inside(e.name), 'aria-label': `choose ${e.name}` }),
        e.directory ? el('a', { href: filesHash(server, file, volume, inside(e.name)), class: 'folder' }, `${e.name}/`) : e.name,
        e.directory ? '' : bytes(e.size_bytes),
        whenIso(e.modified),
        e.directory
          ? el('span', {}, el('a', { href: downloadUrl(server, file, volume, inside(e.name), 'zip'), download: '', 'aria-label': `${e.name} as zip` }, 'zip'), ' ',
            el('a', { href: downloadUrl(server, file, volume, inside(e.name), 'tar'), download: '', 'aria-label': `${e.name} as tar` }, 'tar'))
          : el('a', { href: downloadUrl(server, file, volume, inside(e.name)), download: '', 'aria-label': `download ${e.name}` }, 'download'),
      ]);
      return el('div', {}, table(['', 'Name', 'Size', 'Modified', 'Download'], rows, 'This folder is empty.'),
        el('p', {}, 'This whole folder: ', el('a', { id: 'folder-zip', href: downloadUrl(server, file, volume, path, 'zip'), download: '' }, 'zip'), ' · ',
          el('a', { id: 'folder-tar', href: downloadUrl(server, file, volume, path, 'tar'), download: '' }, 'tar')));
    }));
    parts.push(bringBack(server, file, volume));
    return parts;
  },
};

/// "Bring these back": the files chosen above copied onto the disk of a VM this server was
/// recovered to, while that VM is off (POST /api/recoveries/ID/restore-files). Its answer is said
/// under its button, where the operator is looking, not at the top of a long listing.
function bringBack(server, file, volume) {
  const message = messageLine('bring-back-message');
  const target = el('select', { id: 'bring-back-recovery' });
  api('GET', '/api/recoveries').then(({ recoveries }) => {
    const done = recoveries.filter((r) => r.server === server && r.state === 'succeeded');
    target.replaceChildren(...done.map((r) => el('option', { value: r.id }, `${r.vm && r.vm.name ? r.vm.name : r.id} (${r.id})`)));
  }, message.failed);
  const button = el('button', { type: 'submit' }, 'Bring them back');
  return el('section', { 'aria-labelledby': 'bring-back-title' }, el('h2', { id: 'bring-back-title' }, 'Bring these back'),
    el('p', { class: 'muted' }, 'The files and folders chosen above are copied to the same place on the disk of a VM this server was recovered to. Its VM must be off.'),
    el('form', { id: 'bring-back-form', onsubmit: (event) => {
      event.preventDefault();
      const paths = [...document.querySelectorAll('#files input.pick:checked')].map((box) => box.value);
      if (paths.length === 0 || !target.value) {
        message.failed(new Error(paths.length === 0 ? 'Choose the files or folders to bring back first.' : 'No recovery of this server has succeeded.'));
        return;
      }
      if (!confirm(`Copy ${paths.length} item(s) of ${file} onto the disk of ${target.options[target.selectedIndex].text}? Files there are replaced.`)) return;
      const body = { generation: file, paths };
      if (volume !== '-') body.volume = Number(volume);
      // One copy at a time from this page: the button waits for the answer (a large folder takes a while).
      button.disabled = true;
      message.ok(`Bringing back ${paths.length} item(s)…`);
      api('POST', `/api/recoveries/${encodeURIComponent(target.value)}/restore-files`, body)
        .then((answer) => message.ok(`Brought back onto ${answer.vm}: ${answer.restored.join(', ')}`), message.failed)
        .finally(() => { button.disabled = false; });
    } }, el('label', { for: 'bring-back-recovery' }, 'Onto the VM of'), target, button), message);
}

export { filesHash };
