// The Synology Photos web API as the portal uses it: one `call` for every method, with Synology's encoding (JSON
// values, the SynoToken header) and its errors (an ApiError carrying the code). The portal uses this API and
// nothing else, like any third-party client.

const TOKEN_KEY = 'photosd.synotoken';

// On a share link's public page, every call is the link holder's: sent through the link's door, naming it.
let link = null;
const entry = () => (link ? '/photo/mo/sharing/webapi/entry.cgi' : '/photo/webapi/entry.cgi');

/** Makes every call from now on the holder's of the share link `passphrase` (the public page). */
export function useLink(passphrase) {
  link = passphrase;
}

let token = sessionStorage.getItem(TOKEN_KEY) || '';
let versions = null;
const expiredListeners = new Set();

export class ApiError extends Error {
  constructor(code, api, method) {
    super(`${api} ${method}: error ${code}`);
    this.code = code;
  }
}

/** Calls `fn` when the session ends under the app (timeout, logout elsewhere, revoked access). */
export function onSessionExpired(fn) {
  expiredListeners.add(fn);
  return () => expiredListeners.delete(fn);
}

/** `SYNO.Foto` for the Personal Space, `SYNO.FotoTeam` for the Shared Space. */
export function ns(space) {
  return space === 'shared' ? 'SYNO.FotoTeam' : 'SYNO.Foto';
}

async function post(params, plain = false) {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null) continue;
    body.set(key, plain || ['api', 'method', 'version'].includes(key) ? String(value) : JSON.stringify(value));
  }
  const headers = {};
  if (token) headers['X-SYNO-TOKEN'] = token;
  if (link) headers['X-SYNO-SHARING'] = link;
  const response = await fetch(entry(), { method: 'POST', body, credentials: 'same-origin', headers });
  if (!response.ok) throw new ApiError(response.status, params.api, params.method);
  return response.json();
}

async function version(api) {
  if (!versions) {
    const answer = await post({ api: 'SYNO.API.Info', method: 'query', version: 1, query: 'all' }, true);
    versions = answer.data;
  }
  return versions[api]?.maxVersion ?? 1;
}

/** One API call; resolves with `data`, rejects with an ApiError. */
export async function call(api, method, params = {}) {
  const answer = await post({ api, method, version: await version(api), ...params });
  if (answer.success) return answer.data ?? {};
  const code = answer.error?.code;
  if ([105, 106, 107, 119].includes(code) && !api.startsWith('SYNO.API.Auth') && !link) {
    if (code !== 105) expiredListeners.forEach((fn) => fn(code));
  }
  throw new ApiError(code, api, method);
}

/** Logs in; the session itself rides in an HttpOnly cookie, the token in this tab's storage. */
export async function login(account, password, otpCode) {
  const form = { api: 'SYNO.API.Auth', method: 'login', version: 7, account, passwd: password, format: 'cookie', enable_syno_token: 'yes', session: 'webui' };
  if (otpCode) form.otp_code = otpCode;
  const answer = await post(form, true);
  if (!answer.success) throw new ApiError(answer.error?.code, 'SYNO.API.Auth', 'login');
  token = answer.data.synotoken;
  sessionStorage.setItem(TOKEN_KEY, token);
}

/** Whether the session cookie is still good; renews this tab's token from it (a reload, a new tab). */
export async function resume() {
  const answer = await post({ api: 'SYNO.API.Auth', method: 'token', version: 6 }, true);
  if (!answer.success) return false;
  token = answer.data.synotoken;
  sessionStorage.setItem(TOKEN_KEY, token);
  return true;
}

export async function logout() {
  try {
    await post({ api: 'SYNO.API.Auth', method: 'logout', version: 7 }, true);
  } finally {
    token = '';
    sessionStorage.removeItem(TOKEN_KEY);
  }
}

/** Opens the share link of `useLink` with its password (empty: none); the sharing cookie then carries it. */
export async function openLink(password) {
  const answer = await post({ api: 'SYNO.Core.Sharing.Login', method: 'login', version: 1, sharing_id: link, password }, false);
  if (!answer.success) throw new ApiError(answer.error?.code, 'SYNO.Core.Sharing.Login', 'login');
}

function url(api, method, params) {
  const query = new URLSearchParams({ api, method, version: String(versions?.[api]?.maxVersion ?? 1) });
  for (const [key, value] of Object.entries(params)) query.set(key, JSON.stringify(value));
  if (link) query.set('_sharing_id', link);
  return `${entry()}?${query}`;
}

/** A thumbnail's address; `cache_key` changes whenever the thumbnail does, so browsers keep it for a year. */
export function thumbnailUrl(space, item, size = 'sm') {
  const key = item.additional?.thumbnail?.cache_key ?? `${item.id}`;
  return url(`${ns(space)}.Thumbnail`, 'get', { id: item.id, cache_key: key, type: 'unit', size });
}

/** The playable video (the original, or its transcode), seekable with Range. */
export function streamUrl(space, item) {
  return url(`${ns(space)}.Streaming`, 'streaming', { id: item.id, quality: 'medium' });
}

/** Originals: one item as itself, several (or folders) as a ZIP. */
export function downloadUrl(space, itemIds, folderIds = []) {
  const params = {};
  if (itemIds.length) params.item_id = itemIds;
  if (folderIds.length) params.folder_id = folderIds;
  return url(`${ns(space)}.Download`, 'download', params);
}

/** An album's originals as one ZIP named after it. */
export function albumDownloadUrl(albumId) {
  return url('SYNO.Foto.Browse.Album', 'download', { id: [albumId] });
}

/** Where the app's own requests (uploads) go, and the headers that say who sends them. */
export function uploadTarget() {
  const headers = token ? { 'X-SYNO-TOKEN': token } : {};
  if (link) headers['X-SYNO-SHARING'] = link;
  return { url: entry(), headers };
}

/** Ensures the API versions are known before the first URL is built. */
export async function ready() {
  await version('SYNO.API.Auth');
}
