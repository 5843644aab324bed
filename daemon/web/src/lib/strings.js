// Every English text of the portal, in one place, ready for translation: `t.key` for plain texts, and functions
// for texts with values in them.

export const t = {
  appName: 'Photos',
  account: 'Account',
  password: 'Password',
  signIn: 'Sign in',
  signingIn: 'Signing in…',
  signOut: 'Sign out',
  loginWrong: 'The account or password is wrong.',
  loginLocked: 'Too many failed attempts. Sign-in is blocked for a while; try again later.',
  loginNoAccess: 'This account may not use Photos. Ask an administrator for access.',
  loginDisabled: 'This account is disabled.',
  loginFailed: 'Sign-in failed. Please try again.',
  sessionExpired: 'Your session has ended. Please sign in again.',
  personalSpace: 'Personal Space',
  sharedSpace: 'Shared Space',
  photos: 'Photos',
  folders: 'Folders',
  albums: 'Albums',
  newAlbum: 'New album',
  albumName: 'Album name',
  noAlbums: 'No albums yet. Select photos and choose "Add to album", or make a new album here.',
  emptyAlbum: 'This album is empty. Add photos from the timeline or a folder: select them, then "Add to album".',
  addToAlbum: 'Add to album',
  removeFromAlbum: 'Remove from album',
  removeFromAlbumNote: 'The photos stay in your library; only the album lets go of them.',
  renameAlbum: 'Rename album',
  deleteAlbum: 'Delete album',
  deleteAlbumConfirm: (name) => `Delete the album "${name}"? Its photos stay in your library.`,
  chooseAlbum: 'Album',
  orNewAlbum: 'or a new album named',
  otpCode: 'Verification code',
  otpNeeded: 'Enter the code from your authenticator app.',
  otpWrong: 'The verification code is wrong.',
  otpEnforced: 'This account must set up 2-step verification in DSM before it can sign in here.',
  views: 'Views',
  space: 'Space',
  breadcrumb: 'Breadcrumb',
  loading: 'Loading…',
  nothingHere: 'No photos or videos here yet.',
  emptyFolder: 'This folder is empty.',
  notReady: 'Thumbnail not ready yet',
  loadFailed: 'Could not load this. Check the connection and try again.',
  close: 'Close',
  previous: 'Previous',
  next: 'Next',
  info: 'Info',
  download: 'Download',
  root: 'All folders',
  scrubber: 'Jump to a date',
  darkMode: 'Dark mode',
  lightMode: 'Light mode',
  help: 'Keyboard shortcuts',
  about: 'About',
  video: 'Video',
  livePhoto: 'Live Photo',
  fileName: 'File name',
  taken: 'Date taken',
  size: 'Size',
  resolution: 'Resolution',
  camera: 'Camera',
  lens: 'Lens',
  exposure: 'Exposure',
  location: 'Location',
  showOnMap: 'Show on a map',
  tags: 'Tags',
  rating: 'Rating',
  description: 'Description',
  indexing: 'Indexing',
  tasksIdle: 'Everything is up to date',
  addPhotos: 'Add photos',
  dropHere: 'Drop photos and folders to upload them',
  uploads: 'Uploads',
  uploadDone: 'Uploaded',
  uploadDuplicate: 'Already in the library',
  uploadFailed: 'Failed',
  uploadNotAllowed: 'Not allowed here',
  uploadRefused: 'Not a photo or video',
  uploading: 'Uploading',
  waiting: 'Waiting',
  newFolder: 'New folder',
  folderName: 'Folder name',
  create: 'Create',
  folderExists: 'A folder of that name exists already.',
  selected: (n) => `${n.toLocaleString()} selected`,
  clearSelection: 'Clear selection',
  selectAll: 'Select all',
  select: 'Select',
  selectDay: (day) => `Select all of ${day}`,
  delete: 'Delete',
  deleteConfirm: (n) => `Move ${n === 1 ? 'this item' : `these ${n.toLocaleString()} items`} to the recycle bin?`,
  deleteNote: 'They can be restored from the #recycle folder of the share.',
  editDateTime: 'Edit date and time',
  setExactly: 'Set to',
  shiftBy: 'Shift by (camera clock was wrong)',
  days: 'Days',
  hours: 'Hours',
  minutes: 'Minutes',
  setRating: 'Rating',
  noRating: 'No rating',
  editTags: 'Tags',
  addTag: 'Add tag',
  removeTag: 'Remove tag',
  tagName: 'Tag name',
  editDescription: 'Description',
  apply: 'Apply',
  working: 'Working…',
  actionFailed: 'That did not work. Nothing was changed for the items that failed.',
  sortBy: 'Sort',
  sorts: { taken_desc: 'Date taken, newest first', taken_asc: 'Date taken, oldest first', added_desc: 'Date added, newest first', added_asc: 'Date added, oldest first', name_asc: 'Name, A to Z', name_desc: 'Name, Z to A' },
  filters: 'Filters',
  clearFilters: 'Clear filters',
  from: 'From',
  to: 'To',
  itemType: 'Type',
  types: { photo: 'Photos', video: 'Videos', live: 'Live Photos' },
  facets: { camera: 'Camera', lens: 'Lens', iso: 'ISO', aperture: 'Aperture', focal_length: 'Focal length', exposure_time: 'Exposure time', general_tag: 'Tags' },
  any: 'Any',
  slideshow: 'Slideshow',
  interval: 'Seconds per photo',
  pause: 'Pause',
  play: 'Play',
  playLive: 'Play the Live Photo',
  edit: 'Edit',
  save: 'Save',
  cancel: 'Cancel',
  thumbnailsPending: 'thumbnails',
  videosPending: 'videos',
  aboutText: 'A self-hosted photo library, compatible with Synology Photos.',
  version: 'Version',
  thirdParty: 'Third-party software',
  shortcuts: [
    ['?', 'Show or hide this help'],
    ['← →', 'Previous or next photo in the viewer'],
    ['Esc', 'Close the viewer, a dialog or this help'],
    ['i', 'Show or hide the info panel in the viewer'],
    ['Tab', 'Move between photos and controls'],
    ['Enter', 'Open the focused photo'],
  ],
  items: (n) => `${n.toLocaleString()} ${n === 1 ? 'item' : 'items'}`,
  photoAlt: (item) => `${item.type === 'video' ? 'Video' : 'Photo'} ${item.filename}, ${formatDateTime(item.time)}`,
  pending: (n) => `${n.toLocaleString()} waiting`,
};

/** Dates are shown as taken, in the camera's local time, which the API gives as seconds in UTC. */
const dayFormat = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
const monthFormat = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });

export function formatDay(year, month, day) {
  return dayFormat.format(Date.UTC(year, month - 1, day));
}

export function formatMonth(year, month) {
  return monthFormat.format(Date.UTC(year, month - 1, 1));
}

export function formatDateTime(seconds) {
  return dateTimeFormat.format(seconds * 1000);
}

export function formatSize(bytes) {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
