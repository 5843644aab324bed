// The signed-in user's preferences (SYNO.Foto.Setting.User): read once at sign-in, changed on the Settings page,
// and read by the views they shape (the timeline's default sort, the Shared Space switch).

import { call } from './api.js';

const DEFAULTS = { sort_by: 'takentime', sort_direction: 'desc', show_team_space: true };
export const preferences = $state({ ...DEFAULTS });

/** Reads the preferences of the user who just signed in; a failure leaves the defaults, never an earlier
 *  user's. */
export async function loadPreferences() {
  Object.assign(preferences, DEFAULTS);
  const got = await call('SYNO.Foto.Setting.User', 'get').catch(() => ({}));
  for (const key of Object.keys(preferences)) if (key in got) preferences[key] = got[key];
}

/** Saves some preferences; they apply at once. */
export async function savePreferences(changed) {
  await call('SYNO.Foto.Setting.User', 'set', changed);
  Object.assign(preferences, changed);
}

/** The timeline's sort key (`taken_desc`, `name_asc`...) for the preferred sort. */
export function preferredSortKey() {
  const by = { takentime: 'taken', create_time: 'added', filename: 'name' }[preferences.sort_by] ?? 'taken';
  return `${by}_${preferences.sort_direction === 'asc' ? 'asc' : 'desc'}`;
}
