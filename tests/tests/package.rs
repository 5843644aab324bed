//! The DSM package as `build-spk.sh` builds it: the layout DSM expects, INFO and the `conf/` JSON against the
//! documented fields (`../shared/docs/spk.md`), the checksum, the icons' sizes, the wizards, the size, and that
//! the same commit gives the same package.tgz.

use std::path::Path;
use std::process::Command;

use photosd_tests::{build_spk, workspace};
use serde_json::Value;

/// One member of a tar archive (gzipped or not), as bytes.
fn member(archive: &Path, name: &str) -> Vec<u8> {
    let out = Command::new("tar").args(["-xOf"]).arg(archive).arg(name).output().unwrap();
    assert!(out.status.success(), "{name} in {}", archive.display());
    out.stdout
}

fn listing(args: &[&str], archive: &Path) -> Vec<String> {
    let out = Command::new("tar").args(args).arg(archive).output().unwrap();
    String::from_utf8_lossy(&out.stdout).lines().map(|l| l.trim_start_matches("./").to_string()).collect()
}

fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[1..4], b"PNG");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

#[test]
fn the_spk_has_the_layout_and_fields_dsm_expects() {
    let spk = build_spk(None);
    let entries = listing(&["-tf"], &spk);
    for wanted in [
        "INFO",
        "package.tgz",
        "scripts/preinst",
        "scripts/postinst",
        "scripts/preuninst",
        "scripts/postuninst",
        "scripts/preupgrade",
        "scripts/postupgrade",
        "scripts/start-stop-status",
        "conf/privilege",
        "conf/resource",
        "WIZARD_UIFILES/install_uifile",
        "WIZARD_UIFILES/uninstall_uifile",
        "PACKAGE_ICON.PNG",
        "PACKAGE_ICON_256.PNG",
    ] {
        assert!(entries.iter().any(|e| e == wanted), "{wanted} in {entries:?}");
    }
    let modes = listing(&["-tvf"], &spk);
    for script in modes.iter().filter(|l| l.contains("scripts/") && !l.ends_with("functions") && !l.ends_with('/')) {
        assert!(script.starts_with("-rwx"), "executable: {script}");
    }

    // INFO: key="value" lines, with the required fields and the checksum of package.tgz.
    let info = String::from_utf8(member(&spk, "INFO")).unwrap();
    let field = |key: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{key}=\"")).and_then(|v| v.strip_suffix('"')))
            .unwrap_or_else(|| panic!("INFO has {key}: {info}"))
            .to_string()
    };
    assert_eq!(field("package"), "photosd");
    assert!(regex_like_version(&field("version")), "version is <feature>-<build>: {}", field("version"));
    assert_eq!(field("os_min_ver"), "7.0-40000");
    assert_eq!(field("arch"), std::env::consts::ARCH);
    assert_eq!(field("install_conflict_packages"), "SynologyPhotos");
    assert_eq!(field("thirdparty"), "yes");
    for key in ["displayname", "description", "maintainer", "dsmuidir", "dsmappname"] {
        assert!(!field(key).is_empty(), "{key} is set");
    }
    let tgz = member(&spk, "package.tgz");
    let md5 = Command::new("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let digest = {
        use std::io::Write;
        let mut child = md5;
        child.stdin.take().unwrap().write_all(&tgz).unwrap();
        String::from_utf8(child.wait_with_output().unwrap().stdout).unwrap()
    };
    assert_eq!(field("checksum"), digest.split_whitespace().next().unwrap(), "checksum is package.tgz's md5");

    // package.tgz: the binary, the default config, the portal files the resource file names.
    let inner = workspace().join("target/spk/spk/package.tgz");
    let files = listing(&["-tzf"], &inner);
    for wanted in [
        "bin/photosd",
        "libexec/photosd",
        "lib/libc.so.6",
        "share/photosd.toml",
        "ui/config",
        "ui/photosd.sc",
        "ui/images/photosd_256.png",
    ] {
        assert!(files.iter().any(|f| f == wanted), "{wanted} in package.tgz: {files:?}");
    }
    // The launcher, and the loader it runs photosd with (tests/tests/package_alone.rs runs them in an empty root).
    assert!(files.iter().any(|f| f.starts_with("lib/ld-linux")), "the loader in lib/: {files:?}");
    let launcher = String::from_utf8(member(&inner, "./bin/photosd")).unwrap();
    assert!(
        launcher.starts_with("#!/bin/sh") && launcher.contains("--library-path") && !launcher.contains("@LOADER@"),
        "{launcher}"
    );
    // The licences of what the package carries: FFmpeg's (GPL, for x264) and each bundled library's.
    for licence in [
        "share/licenses/COPYING.GPLv2",
        "share/licenses/ffmpeg.SOURCE",
        "share/licenses/libx264-164.copyright",
        "share/licenses/libc6.copyright",
    ] {
        assert!(files.iter().any(|f| f == licence), "{licence} in package.tgz");
    }
    // Only libraries photosd needs: none of those Debian's full FFmpeg drags in.
    // Nor the encoders photosd never uses (package/libheif/cmake).
    for unwanted in ["libX11", "libcairo", "libicu", "libcodec2", "libavcodec", "libx265", "libaom"] {
        assert!(!files.iter().any(|f| f.starts_with(&format!("lib/{unwanted}"))), "{unwanted} in package.tgz");
    }

    // conf/privilege and conf/resource, against the documented fields.
    let privilege: Value = serde_json::from_slice(&member(&spk, "conf/privilege")).unwrap();
    assert_eq!(privilege["defaults"]["run-as"], "package");
    let resource: Value = serde_json::from_slice(&member(&spk, "conf/resource")).unwrap();
    let service = &resource["webservice"]["services"][0];
    assert_eq!(service["type"], "reverse_proxy");
    assert!(service["proxy_target"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    let portals = resource["webservice"]["portals"].as_array().unwrap();
    assert!(portals.iter().any(|p| p["type"] == "alias" && p["alias"] == "photo"));
    assert!(portals.iter().any(|p| p["type"] == "server" && p["http_port"][0].as_u64().is_some()));
    assert!(portals.iter().all(|p| p["service"] == service["service"] && p["app"] == field("dsmappname").as_str()));
    assert_eq!(resource["data-share"]["shares"][0]["name"], "photo");
    let protocol = resource["port-config"]["protocol-file"].as_str().unwrap();
    assert!(files.iter().any(|f| f == protocol), "the firewall file {protocol} is in package.tgz");

    // Icons and wizards.
    assert_eq!(png_size(&member(&spk, "PACKAGE_ICON.PNG")), (64, 64));
    assert_eq!(png_size(&member(&spk, "PACKAGE_ICON_256.PNG")), (256, 256));
    let install: Value = serde_json::from_slice(&member(&spk, "WIZARD_UIFILES/install_uifile")).unwrap();
    let keys = |wizard: &Value| -> Vec<String> {
        wizard[0]["items"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|i| i["subitems"].as_array().unwrap().clone())
            .map(|s| s["key"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(keys(&install), ["wizard_enable_shared_space", "wizard_enable_people_subjects"]);
    let uninstall: Value = serde_json::from_slice(&member(&spk, "WIZARD_UIFILES/uninstall_uifile")).unwrap();
    assert!(keys(&uninstall).contains(&"wizard_delete_data".to_string()));

    let size = std::fs::metadata(&spk).unwrap().len();
    println!("package size: {:.1} MB ({})", size as f64 / 1048576.0, spk.display());
    assert!(size <= 40 << 20, "the package is at most 40 MB without models ({size} bytes)");

    // The same commit gives the same package.tgz.
    build_spk(None);
    assert_eq!(std::fs::read(&inner).unwrap(), tgz, "package.tgz is reproducible");
}

fn regex_like_version(version: &str) -> bool {
    let Some((feature, build)) = version.split_once('-') else { return false };
    feature.split('.').all(|n| n.parse::<u32>().is_ok()) && build.parse::<u32>().is_ok()
}
