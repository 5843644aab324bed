//! The only module allowed `unsafe`: the few C-library calls that the safe wrappers do not expose, and the
//! matrix product of the `gemm` crate, whose one entry point takes raw pointers.
#![allow(unsafe_code)]

/// Width and height of a stream's codec parameters (ffmpeg-next 9 has no safe accessor for them).
pub fn codec_dimensions(parameters: &ffmpeg_next::codec::Parameters) -> (i32, i32) {
    // SAFETY: `as_ptr` points at the AVCodecParameters owned by `parameters`, alive for this borrow.
    unsafe {
        let p = parameters.as_ptr();
        ((*p).width, (*p).height)
    }
}

/// Takes ownership of descriptors received with `SCM_RIGHTS`.
pub fn adopt_received(fds: Vec<std::os::fd::RawFd>) -> Vec<std::fs::File> {
    use std::os::fd::FromRawFd;
    // SAFETY: the kernel has just installed these descriptors in this process for this message; nothing else
    // holds them, so each is owned exactly once.
    fds.into_iter().map(|fd| unsafe { std::fs::File::from_raw_fd(fd) }).collect()
}

/// A digest of what the shadow database says of `account`'s credential: its password hash and expiry date. It
/// changes when the password is changed (even to the same one: a new salt), and when the account is locked
/// (`usermod -L` marks the hash) or expired. `None` when photosd may not read it (no CAP_DAC_READ_SEARCH, the
/// NAS package) or the account has no shadow entry.
pub fn credential_stamp(account: &str) -> Option<String> {
    let name = std::ffi::CString::new(account).ok()?;
    let mut entry = std::mem::MaybeUninit::<nix::libc::spwd>::uninit();
    let mut buffer = vec![0 as nix::libc::c_char; 4096];
    let mut found: *mut nix::libc::spwd = std::ptr::null_mut();
    // SAFETY: getspnam_r is the reentrant lookup: it fills `entry` with pointers into `buffer`, both alive and
    // exclusively ours until the copies below are made; `found` is null unless `entry` was filled.
    unsafe {
        let status =
            nix::libc::getspnam_r(name.as_ptr(), entry.as_mut_ptr(), buffer.as_mut_ptr(), buffer.len(), &mut found);
        if status != 0 || found.is_null() || (*found).sp_pwdp.is_null() {
            return None;
        }
        let hash = std::ffi::CStr::from_ptr((*found).sp_pwdp).to_bytes();
        let mut digest = blake3::Hasher::new();
        digest.update(hash);
        digest.update(&(*found).sp_expire.to_le_bytes());
        Some(digest.finalize().to_hex().to_string())
    }
}

/// Forks this process. Only for a caller that knows no other thread exists: the child would hold copies of
/// locks other threads held, and deadlock on the first.
pub fn fork_while_single_threaded() -> nix::Result<nix::unistd::ForkResult> {
    // SAFETY: the one caller (the worker launcher, at start) runs before the async runtime or any other thread
    // is started, so the child is a complete copy of a single-threaded process.
    unsafe { nix::unistd::fork() }
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
/// FFmpeg reads the file through its descriptor (`Source::reader`), never by a path of its own: the worker holds
/// only what the daemon opened for it.
pub fn open_media(
    source: &crate::media::input::Source,
) -> Result<ffmpeg_next::format::context::Input, ffmpeg_next::Error> {
    use ffmpeg_next::ffi::{
        avformat_alloc_context, avformat_close_input, avformat_find_stream_info, avformat_open_input,
        AVFMT_FLAG_CUSTOM_IO,
    };
    let reader = source.reader().map_err(|e| ffmpeg_next::Error::from(-e.raw_os_error().unwrap_or(nix::libc::EIO)))?;
    let mut io = ffmpeg_next::format::context::StreamIo::from_read_seek(reader)?;
    // The file's name helps the format probe (it is never opened: the I/O is ours).
    let hint = source.path.file_name().and_then(|n| std::ffi::CString::new(n.as_encoded_bytes()).ok());
    let hint_ptr = hint.as_ref().map_or(std::ptr::null(), |h| h.as_ptr());
    // SAFETY: libavformat's open sequence with caller-supplied I/O, as ffmpeg-next's own `input_from_stream`
    // does it: `io` outlives the context (it is handed to `Input` with it, which frees both in order); on a
    // failed open libavformat has freed the context itself, and on a failed probe it is closed here.
    unsafe {
        let mut ps = avformat_alloc_context();
        if ps.is_null() {
            return Err(ffmpeg_next::Error::Other { errno: nix::libc::ENOMEM });
        }
        (*ps).pb = io.as_mut_ptr();
        (*ps).flags |= AVFMT_FLAG_CUSTOM_IO;
        let opened = avformat_open_input(&mut ps, hint_ptr, std::ptr::null_mut(), std::ptr::null_mut());
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
        Ok(ffmpeg_next::format::context::Input::wrap_with_custom_io(ps, io))
    }
}

/// Hands the free memory of each malloc arena back to the kernel. Called by a worker after each thumbnail (a
/// HEIF decode frees ~100 MB that glibc would otherwise keep mapped in that worker), and by the daemon when its
/// idle workers exit.
pub fn release_free_memory() {
    // SAFETY: malloc_trim only walks the allocator's own free lists; it takes no pointers.
    unsafe {
        nix::libc::malloc_trim(0);
    }
}

/// Keeps up to `bytes` of free memory at the top of the heap instead of handing it back to the kernel after
/// every free (glibc's M_TRIM_THRESHOLD; workers start with 8 MB, see `WORKER_ENV`).
pub fn keep_free_memory(bytes: i32) {
    // SAFETY: mallopt only changes a setting of glibc's malloc, under malloc's own lock; it takes no pointers.
    unsafe {
        nix::libc::mallopt(nix::libc::M_TRIM_THRESHOLD, bytes);
    }
}

/// Appends lhs · rhs to `out`, all row-major f32: `lhs` is rows × k, `rhs` k × columns, the product rows ×
/// columns, computed by the `gemm` crate (candle's own) on this thread, straight into the vector's spare room (no
/// pass to zero it first). Panics when a slice's length does not match.
pub fn append_matrix_product(lhs: &[f32], rhs: &[f32], out: &mut Vec<f32>, rows: usize, k: usize, columns: usize) {
    assert!(lhs.len() == rows * k && rhs.len() == k * columns);
    out.reserve(rows * columns);
    let dst = out.spare_capacity_mut()[..rows * columns].as_mut_ptr().cast::<f32>();
    // SAFETY: `dst` points at rows × columns values of the vector's spare capacity (reserved above), which gemm
    // writes at unit column stride and a row stride of the row's length without reading them (read_dst is
    // false); `lhs` and `rhs` hold rows × k and k × columns values (asserted above) and cannot overlap the
    // vector's unused capacity. Every value is then written, so the length can cover them.
    unsafe {
        gemm::gemm(
            rows,
            columns,
            k,
            dst,
            1,
            columns as isize,
            false,
            lhs.as_ptr(),
            1,
            k as isize,
            rhs.as_ptr(),
            1,
            columns as isize,
            1.0,
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
        out.set_len(out.len() + rows * columns);
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
