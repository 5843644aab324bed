// Uploads through SYNO.Foto.Upload.Item, one file at a time with its progress (XMLHttpRequest: fetch cannot report
// upload progress). Dropped folders are walked, and their files keep their folder names under the target.

import { ns, uploadTarget } from './api.js';

/** Files and folders dropped on the page, as [{ file, dirs }] where dirs is the path inside what was dropped. */
export async function droppedFiles(dataTransfer) {
  const entries = [...dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (!entries.length) return [...dataTransfer.files].map((file) => ({ file, dirs: [] }));
  const out = [];
  async function walk(entry, dirs) {
    if (entry.isFile) {
      out.push({ file: await new Promise((ok, fail) => entry.file(ok, fail)), dirs });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((ok, fail) => reader.readEntries(ok, fail));
        if (!batch.length) break;
        for (const child of batch) await walk(child, [...dirs, entry.name]);
      }
    }
  }
  for (const entry of entries) await walk(entry, []);
  return out;
}

/**
 * Sends one file. `folder` is the target folder's path from the space root (a list of names) or null for the
 * upload folder Synology Photos files timeline uploads in. Resolves with the API's answer ({ action, id }).
 */
export function uploadFile(space, { file, dirs }, folder, onProgress, api = `${ns(space)}.Upload.Item`) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    form.set('api', api);
    form.set('method', 'upload');
    form.set('version', '1');
    form.set('name', JSON.stringify(file.name));
    form.set('duplicate', JSON.stringify('ignore'));
    form.set('mtime', String(Math.floor(file.lastModified / 1000)));
    if (folder || dirs.length) form.set('folder', JSON.stringify([...(folder ?? ['PhotoLibrary']), ...dirs]));
    form.set('file', file, file.name);
    const xhr = new XMLHttpRequest();
    const target = uploadTarget();
    xhr.open('POST', target.url);
    for (const [name, value] of Object.entries(target.headers)) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => {
      try {
        const answer = JSON.parse(xhr.responseText);
        if (answer.success) resolve(answer.data);
        else reject(Object.assign(new Error('upload refused'), { code: answer.error?.code }));
      } catch {
        reject(new Error(`upload failed (${xhr.status})`));
      }
    };
    xhr.onerror = () => reject(new Error('the connection failed'));
    xhr.send(form);
  });
}
