//! Names photosd never indexes: NAS system folders, OS litter, dotfiles, and the temporary names that SMB,
//! rsync, browsers and editors write before the real file exists.

use crate::media::detect::is_media_name;

/// Folders skipped entirely, with everything under them.
pub fn is_ignored_dir(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('@') || name.starts_with('#') || name == "lost+found"
}

/// Files that are not items: ignored names, and anything that is not a photo or video by its extension.
pub fn is_ignored_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')                       // dotfiles, ._AppleDouble, rsync's .name.XXXXXX
        || name.starts_with("~$")               // Office lock files
        || lower == "thumbs.db"
        || lower == "desktop.ini"
        || lower.ends_with(".part")             // Firefox
        || lower.ends_with(".crdownload")       // Chrome
        || lower.ends_with(".tmp")
        || lower.ends_with(".partial")
        || lower.ends_with('~')
        || lower.starts_with("~smb")            // Samba temp names
        || !is_media_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignores_system_and_temp_names() {
        for name in [
            ".DS_Store",
            "._IMG_1.JPG",
            ".IMG_1.JPG.a1B2c3",
            "Thumbs.db",
            "IMG_1.jpg.part",
            "x.jpg.crdownload",
            "~$doc.jpg",
            "IMG_1.tmp",
            "notes.txt",
            "IMG_1.xmp",
            "IMG_1.AAE",
        ] {
            assert!(is_ignored_file(name), "{name}");
        }
        for name in ["IMG_1.JPG", "clip.MOV", "a.heic", "b.dng", "c.avif"] {
            assert!(!is_ignored_file(name), "{name}");
        }
        for name in ["@eaDir", "#recycle", "#snapshot", ".git"] {
            assert!(is_ignored_dir(name), "{name}");
        }
        assert!(!is_ignored_dir("2021"));
    }
}
