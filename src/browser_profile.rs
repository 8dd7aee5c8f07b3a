//! Removing the profile folder of a browser warden ran (`capture
//! --browser`), together with the folder Chromium made for its
//! single-instance socket. Used when a capture ends, when warden is
//! stopped by a signal, and when recovery sets an interrupted capture aside.
//!
//! Chromium keeps that socket (and a cookie naming it) in a folder of its
//! own in the system's temporary folder, `org.chromium.Chromium.XXXXXX`
//! (Chrome: `com.google.Chrome.XXXXXX`), linked from the profile as
//! `SingletonSocket`. It deletes the folder when it exits by itself, not
//! when it is killed, as warden's browsers are when a capture ends; one
//! folder was left behind per browser capture.

use std::fs::FileType;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

/// The profile's link to the socket, and the socket's own name.
const SOCKET: &str = "SingletonSocket";
/// How Chromium and Chrome name the socket's folder (a random suffix follows).
const SOCKET_FOLDER_NAMES: [&str; 2] = ["org.chromium.Chromium.", "com.google.Chrome."];
/// The link the browser puts beside its socket.
const COOKIE: &str = "SingletonCookie";

/// Deletes `profile` and the browser's socket folder it links to.
pub(crate) fn remove(profile: &Path) -> std::io::Result<()> {
    remove_socket_folder(profile);
    std::fs::remove_dir_all(profile)
}

/// Only a folder with one of the browser's names, reached through the
/// profile's link, is touched, and only its two known entries go, and only
/// when they are what the browser makes (a socket and a link): anything
/// else in it keeps the folder. (Recovery reads the link from a case folder
/// that may have been copied or planted.)
fn remove_socket_folder(profile: &Path) {
    let Ok(target) = std::fs::read_link(profile.join(SOCKET)) else {
        return;
    };
    if !target.is_absolute() || target.file_name() != Some(SOCKET.as_ref()) {
        return;
    }
    let Some(folder) = target.parent() else {
        return;
    };
    let named = folder
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| SOCKET_FOLDER_NAMES.iter().any(|p| n.starts_with(p)));
    let is_folder = std::fs::symlink_metadata(folder).is_ok_and(|m| m.is_dir());
    if !named || !is_folder {
        return;
    }
    // Only what the browser makes there: its socket, and the cookie, a
    // link. A file of another kind under either name stays.
    let remove_if = |name: &str, made_by_browser: fn(&FileType) -> bool| {
        let path = folder.join(name);
        if std::fs::symlink_metadata(&path).is_ok_and(|m| made_by_browser(&m.file_type())) {
            let _ = std::fs::remove_file(path);
        }
    };
    remove_if(SOCKET, FileType::is_socket);
    remove_if(COOKIE, FileType::is_symlink);
    let _ = std::fs::remove_dir(folder);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn profile_linking_to(root: &Path, folder: &str) -> (std::path::PathBuf, std::path::PathBuf) {
        let socket_folder = root.join(folder);
        std::fs::create_dir(&socket_folder).unwrap();
        std::os::unix::net::UnixListener::bind(socket_folder.join(SOCKET)).unwrap();
        symlink("12345", socket_folder.join(COOKIE)).unwrap();
        let profile = root.join("browser-profile");
        std::fs::create_dir(&profile).unwrap();
        symlink(socket_folder.join(SOCKET), profile.join(SOCKET)).unwrap();
        (profile, socket_folder)
    }

    #[test]
    fn the_socket_folder_goes_with_the_profile() {
        let root = tempfile::tempdir().unwrap();
        let (profile, folder) = profile_linking_to(root.path(), "org.chromium.Chromium.aB3dE9");
        remove(&profile).unwrap();
        assert!(!profile.exists() && !folder.exists());
    }

    #[test]
    fn a_folder_of_another_name_or_with_more_in_it_or_not_the_browsers_files_are_left_alone() {
        let root = tempfile::tempdir().unwrap();
        let (profile, folder) = profile_linking_to(root.path(), "evidence");
        remove(&profile).unwrap();
        assert!(!profile.exists());
        assert!(
            folder.join(SOCKET).exists(),
            "a folder not named by the browser is untouched"
        );

        let root = tempfile::tempdir().unwrap();
        let (profile, folder) = profile_linking_to(root.path(), "com.google.Chrome.x1");
        std::fs::write(folder.join("notes.txt"), b"keep").unwrap();
        remove(&profile).unwrap();
        assert!(!folder.join(SOCKET).exists());
        assert_eq!(std::fs::read(folder.join("notes.txt")).unwrap(), b"keep");

        // A regular file under the socket's name is not the browser's.
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("org.chromium.Chromium.planted");
        std::fs::create_dir(&folder).unwrap();
        std::fs::write(folder.join(SOCKET), b"data").unwrap();
        let profile = root.path().join("browser-profile");
        std::fs::create_dir(&profile).unwrap();
        symlink(folder.join(SOCKET), profile.join(SOCKET)).unwrap();
        remove(&profile).unwrap();
        assert_eq!(std::fs::read(folder.join(SOCKET)).unwrap(), b"data");
    }
}
