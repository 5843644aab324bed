//! The only module allowed `unsafe`: the few C-library calls that the safe wrappers do not expose.
#![allow(unsafe_code)]

/// Width and height of a stream's codec parameters (ffmpeg-next 9 has no safe accessor for them).
pub fn codec_dimensions(parameters: &ffmpeg_next::codec::Parameters) -> (i32, i32) {
    // SAFETY: `as_ptr` points at the AVCodecParameters owned by `parameters`, alive for this borrow.
    unsafe {
        let p = parameters.as_ptr();
        ((*p).width, (*p).height)
    }
}

/// Every account in the passwd database (files, NIS, LDAP: whatever NSS serves).
pub fn all_users() -> Vec<uzers::User> {
    // SAFETY: getpwent keeps global state; collecting at once on one thread, and the only caller (space
    // discovery) runs on one task at a time, so no two iterations interleave.
    unsafe { uzers::all_users() }.collect()
}
