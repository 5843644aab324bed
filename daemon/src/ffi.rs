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

/// Opens a media file and reads its headers. For the MP4/QuickTime family the headers hold everything photosd
/// stores (duration, codecs, sizes, display matrix), so the costly stream probing (which decodes frames) is
/// skipped; other containers (AVI, Matroska, MPEG-TS) are probed as `ffmpeg::format::input` does.
pub fn open_media(path: &std::path::Path) -> Result<ffmpeg_next::format::context::Input, ffmpeg_next::Error> {
    use ffmpeg_next::ffi::{avformat_close_input, avformat_find_stream_info, avformat_open_input};
    use std::os::unix::ffi::OsStrExt;
    let c_path = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(|_| ffmpeg_next::Error::InvalidData)?;
    // SAFETY: standard libavformat open sequence; `ps` is either null (open failed, nothing to free) or a valid
    // context, which is closed on error or handed to `Input`, which closes it on drop.
    unsafe {
        let mut ps = std::ptr::null_mut();
        let opened = avformat_open_input(&mut ps, c_path.as_ptr(), std::ptr::null_mut(), std::ptr::null_mut());
        if opened != 0 {
            return Err(ffmpeg_next::Error::from(opened));
        }
        let name = std::ffi::CStr::from_ptr((*(*ps).iformat).name).to_string_lossy();
        let streams = std::slice::from_raw_parts((*ps).streams, (*ps).nb_streams as usize);
        let sizes_known = streams.iter().all(|&st| {
            let par = (*st).codecpar;
            (*par).codec_type != ffmpeg_next::ffi::AVMediaType::AVMEDIA_TYPE_VIDEO
                || ((*par).width > 0 && (*par).height > 0)
        });
        let headers_suffice = name.starts_with("mov,") && (*ps).duration > 0 && sizes_known;
        if !headers_suffice {
            let probed = avformat_find_stream_info(ps, std::ptr::null_mut());
            if probed < 0 {
                avformat_close_input(&mut ps);
                return Err(ffmpeg_next::Error::from(probed));
            }
        }
        Ok(ffmpeg_next::format::context::Input::wrap(ps))
    }
}

/// Hands the free memory at the end of each malloc arena back to the kernel. Called by a worker after each
/// thumbnail: a HEIF decode frees ~100 MB that glibc would otherwise keep mapped in that worker.
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

/// Stores a display matrix (rotation) on an output stream, so players turn the video as the original was turned.
pub fn set_display_matrix(
    octx: &mut ffmpeg_next::format::context::Output,
    stream: usize,
    m: &[i32; 9],
) -> Result<(), ffmpeg_next::Error> {
    use ffmpeg_next::ffi::{av_stream_new_side_data, AVPacketSideDataType};
    if stream >= octx.nb_streams() as usize {
        return Err(ffmpeg_next::Error::StreamNotFound);
    }
    // SAFETY: the index is checked; the stream belongs to `octx`; FFmpeg allocates the 36 bytes copied in; this
    // runs before the header is written.
    unsafe {
        let st = *(*octx.as_mut_ptr()).streams.add(stream);
        let dst = av_stream_new_side_data(st, AVPacketSideDataType::AV_PKT_DATA_DISPLAYMATRIX, 36);
        if dst.is_null() {
            return Err(ffmpeg_next::Error::Other { errno: ffmpeg_next::error::ENOMEM });
        }
        std::ptr::copy_nonoverlapping(m.as_ptr().cast::<u8>(), dst, 36);
    }
    Ok(())
}

/// Lowers this process's CPU priority to `level` (0 normal … 19 idle-only). nix 0.32 has no wrapper for it.
pub fn set_nice(level: i32) -> std::io::Result<()> {
    // SAFETY: setpriority takes plain integers and touches only the calling process's scheduling attributes.
    let rc = unsafe { nix::libc::setpriority(nix::libc::PRIO_PROCESS, 0, level) };
    if rc == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}
